import { featureList, PLANS } from "@ticketzero/core/license/plans";
import type { Metadata } from "next";
import { formatNumber } from "@/components/license/format";
import { StartTrialForm } from "@/components/license/start-trial-form";
import { Card } from "@/components/ui/card";
import { CheckIcon, ClockIcon } from "@/components/ui/icons";
import { sessionUser } from "@/lib/auth/session";
import { startPublicTrial } from "./actions";

export const metadata: Metadata = {
  title: "Start a free 30-day trial",
  description: "Try TicketZero AI free for 30 days: 2 MSP clients, 100 tickets a month, no card needed.",
};

const trial = PLANS.trial;

export default async function TrialPage() {
  const user = await sessionUser();
  const facts = [
    `${trial.durationDays} days, free, no card needed`,
    `${formatNumber(trial.limits.maxClients)} MSP clients`,
    `${formatNumber(trial.limits.maxTicketsPerMonth)} tickets a month`,
    `${formatNumber(trial.limits.maxActivations)} installation`,
  ];
  return (
    <div className="container-page py-12 sm:py-16">
      <div className="grid gap-10 lg:grid-cols-[1fr_28rem] lg:items-start lg:gap-16">
        <div>
          <p className="inline-flex items-center gap-1.5 rounded-full bg-sky-50 px-3 py-1 text-sm font-semibold text-sky-800 ring-1 ring-sky-200">
            <ClockIcon className="size-4" />
            Free trial
          </p>
          <h1 className="mt-4 text-4xl font-bold sm:text-5xl">Try TicketZero AI free for 30 days</h1>
          <p className="mt-4 max-w-xl text-lg text-slate-600">
            Enter your work email and get a trial license key right away. Activate it on your TicketZero AI server and
            process real tickets from your Atera instance.
          </p>
          <ul className="mt-8 grid gap-3 sm:grid-cols-2">
            {facts.map((fact) => (
              <li key={fact} className="flex items-center gap-2.5 text-slate-800">
                <span className="flex size-6 shrink-0 items-center justify-center rounded-full bg-sky-100 text-sky-700">
                  <CheckIcon className="size-4" />
                </span>
                {fact}
              </li>
            ))}
          </ul>
          <h2 className="mt-10 text-sm font-semibold tracking-wide text-slate-500 uppercase">Included features</h2>
          <p className="mt-2 text-slate-700">
            {featureList(trial.features)
              .map((f) => f.name)
              .join(" · ")}
          </p>
          <p className="mt-6 text-sm text-slate-600">
            One trial per email address. When you’re ready,{" "}
            <a href="/plans" className="font-semibold text-brand-700 underline-offset-2 hover:underline">
              compare the paid plans
            </a>
            .
          </p>
        </div>
        <Card padding="lg" as="section" aria-labelledby="trial-form-heading">
          <h2 id="trial-form-heading" className="text-xl font-semibold">
            Start your trial
          </h2>
          <p className="mt-1 mb-6 text-sm text-slate-600">We’ll create your account and email you the key.</p>
          <StartTrialForm
            action={startPublicTrial}
            defaultEmail={user?.email ?? ""}
            activateHref={user ? "/admin/license" : "/signin?callbackUrl=%2Fadmin%2Flicense"}
          />
        </Card>
      </div>
    </div>
  );
}
