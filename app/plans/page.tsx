import {
  FEATURES,
  type FeatureKey,
  formatPrice,
  PAID_PLAN_IDS,
  PLAN_ORDER,
  PLANS,
} from "@ticketzero/core/license/plans";
import type { Metadata } from "next";
import { formatNumber } from "@/components/license/format";
import { PlanCard } from "@/components/plans/plan-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ArrowRightIcon, CheckIcon, ClockIcon, DashIcon, ShieldIcon } from "@/components/ui/icons";

export const metadata: Metadata = {
  title: "Plans & pricing",
  description: "Compare TicketZero AI Starter, Professional and Enterprise licenses, or start a free 30-day trial.",
};

const trial = PLANS.trial;
const FEATURE_KEYS = Object.keys(FEATURES) as FeatureKey[];

function Included({ yes }: { yes: boolean }) {
  return yes ? (
    <>
      <CheckIcon className="mx-auto size-5 text-brand-600" />
      <span className="sr-only">Included</span>
    </>
  ) : (
    <>
      <DashIcon className="mx-auto size-5 text-slate-400" />
      <span className="sr-only">Not included</span>
    </>
  );
}

export default function PlansPage() {
  return (
    <>
      <section aria-labelledby="plans-title" className="relative overflow-hidden border-b border-slate-200 bg-white">
        <div className="bg-grid pointer-events-none absolute inset-0 [mask-image:radial-gradient(ellipse_at_top,black,transparent_70%)]" />
        <div className="container-page relative py-14 text-center sm:py-16">
          <p className="text-sm font-semibold text-brand-700">Plans &amp; pricing</p>
          <h1 id="plans-title" className="mx-auto mt-2 max-w-2xl text-4xl font-bold sm:text-5xl">
            Choose the license that fits your MSP
          </h1>
          <p className="mx-auto mt-4 max-w-2xl text-lg text-slate-600">
            Yearly licenses for on-premises AI ticket processing. Every plan includes the Atera integration; upgrade any
            time and keep your old key working during the switch.
          </p>
        </div>
      </section>

      <div className="container-page py-14 sm:py-16">
        <h2 className="sr-only">Paid plans</h2>
        <div className="grid items-stretch gap-8 pt-3 lg:grid-cols-3 lg:gap-6">
          {PAID_PLAN_IDS.map((id) => {
            const plan = PLANS[id];
            return (
              <PlanCard
                key={id}
                plan={plan}
                headingLevel={3}
                action={
                  <Button
                    href={`/checkout?plan=${id}`}
                    variant={plan.recommended ? "primary" : "secondary"}
                    size="lg"
                    fullWidth
                  >
                    Buy {plan.name}
                  </Button>
                }
              />
            );
          })}
        </div>

        {/* Trial */}
        <section
          aria-labelledby="trial-heading"
          className="mt-12 flex flex-col gap-6 rounded-2xl bg-white p-6 shadow-card ring-1 ring-slate-200 sm:p-8 lg:flex-row lg:items-center lg:justify-between"
        >
          <div className="flex gap-4">
            <span className="flex size-12 shrink-0 items-center justify-center rounded-xl bg-sky-50 text-sky-700 ring-1 ring-sky-100">
              <ClockIcon className="size-6" />
            </span>
            <div>
              <div className="flex flex-wrap items-center gap-2">
                <h2 id="trial-heading" className="text-lg font-semibold">
                  {trial.durationDays}-day free trial
                </h2>
                <Badge tone="info">No credit card</Badge>
              </div>
              <p className="mt-1 text-sm text-slate-600">
                Try TicketZero AI on one server with real tickets. One trial per email address.
              </p>
              <dl className="mt-4 flex flex-wrap gap-x-6 gap-y-2 text-sm">
                {[
                  { label: "MSP clients", value: trial.limits.maxClients },
                  { label: "Tickets / month", value: trial.limits.maxTicketsPerMonth },
                  { label: "Activation", value: trial.limits.maxActivations },
                ].map((row) => (
                  <div key={row.label} className="flex items-baseline gap-1.5">
                    <dt className="text-slate-600">{row.label}:</dt>
                    <dd className="tabular font-semibold text-slate-900">{formatNumber(row.value)}</dd>
                  </div>
                ))}
              </dl>
            </div>
          </div>
          <Button href="/trial" size="lg" variant="secondary" trailingIcon={<ArrowRightIcon />}>
            Start your free trial
          </Button>
        </section>

        {/* Comparison */}
        <section aria-labelledby="compare-heading" className="mt-20">
          <div className="max-w-2xl">
            <h2 id="compare-heading" className="text-2xl font-bold sm:text-3xl">
              Compare every feature
            </h2>
            <p className="mt-2 text-slate-600">Limits and features of each license, side by side.</p>
          </div>
          {/* `relative`: the cells' sr-only words are absolutely positioned and must not escape the scroller (page overflow at 390 px). */}
          <div className="relative mt-8 overflow-x-auto rounded-2xl bg-white shadow-card ring-1 ring-slate-200">
            <table className="w-full min-w-[40rem] border-collapse text-sm">
              <caption className="sr-only">
                Features and limits of the Trial, Starter, Professional and Enterprise plans
              </caption>
              <thead>
                <tr className="border-b border-slate-200">
                  <td className="sticky left-0 z-10 w-[34%] bg-white p-4" />
                  {PLAN_ORDER.map((id) => {
                    const plan = PLANS[id];
                    return (
                      <th
                        key={id}
                        scope="col"
                        className={cn("p-4 text-center align-bottom", plan.recommended && "bg-brand-50/70")}
                      >
                        {plan.recommended ? (
                          <span className="mb-1 block text-[0.68rem] font-semibold tracking-wide text-brand-700 uppercase">
                            Recommended
                          </span>
                        ) : null}
                        <span className="block text-base font-semibold text-slate-900">{plan.name}</span>
                        <span className="tabular block text-xs font-normal text-slate-600">
                          {plan.priceCents > 0
                            ? `${formatPrice(plan.priceCents)} / year`
                            : `Free · ${plan.durationDays} days`}
                        </span>
                      </th>
                    );
                  })}
                </tr>
              </thead>
              <tbody>
                <tr className="bg-slate-50">
                  <th
                    scope="rowgroup"
                    colSpan={PLAN_ORDER.length + 1}
                    className="sticky left-0 px-4 py-2 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase"
                  >
                    Limits
                  </th>
                </tr>
                {(
                  [
                    ["MSP clients", "maxClients"],
                    ["Tickets per month", "maxTicketsPerMonth"],
                    ["Activations (servers)", "maxActivations"],
                  ] as const
                ).map(([label, key]) => (
                  <tr key={key} className="border-t border-slate-100">
                    <th
                      scope="row"
                      className="sticky left-0 z-10 bg-white px-4 py-3 text-left font-medium text-slate-800"
                    >
                      {label}
                    </th>
                    {PLAN_ORDER.map((id) => (
                      <td
                        key={id}
                        className={cn(
                          "tabular px-4 py-3 text-center font-semibold text-slate-900",
                          PLANS[id].recommended && "bg-brand-50/70",
                        )}
                      >
                        {formatNumber(PLANS[id].limits[key])}
                      </td>
                    ))}
                  </tr>
                ))}
                <tr className="border-t border-slate-200 bg-slate-50">
                  <th
                    scope="rowgroup"
                    colSpan={PLAN_ORDER.length + 1}
                    className="sticky left-0 px-4 py-2 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase"
                  >
                    Features
                  </th>
                </tr>
                {FEATURE_KEYS.map((key) => (
                  <tr key={key} className="border-t border-slate-100">
                    <th
                      scope="row"
                      className="sticky left-0 z-10 bg-white px-4 py-3 text-left font-medium text-slate-800"
                    >
                      {FEATURES[key]}
                    </th>
                    {PLAN_ORDER.map((id) => (
                      <td key={id} className={cn("px-4 py-3 text-center", PLANS[id].recommended && "bg-brand-50/70")}>
                        <Included yes={PLANS[id].features.includes(key)} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr className="border-t border-slate-200">
                  <td className="sticky left-0 z-10 bg-white p-4" />
                  {PLAN_ORDER.map((id) => (
                    <td key={id} className={cn("p-4 text-center", PLANS[id].recommended && "bg-brand-50/70")}>
                      {id === "trial" ? (
                        <Button href="/trial" size="sm" variant="ghost">
                          Try free
                        </Button>
                      ) : (
                        <Button
                          href={`/checkout?plan=${id}`}
                          size="sm"
                          variant={PLANS[id].recommended ? "primary" : "secondary"}
                          aria-label={`Choose ${PLANS[id].name}`}
                        >
                          Choose
                        </Button>
                      )}
                    </td>
                  ))}
                </tr>
              </tfoot>
            </table>
          </div>
        </section>

        <section
          aria-label="Assurances"
          className="mt-16 grid gap-6 rounded-2xl bg-slate-900 p-6 text-slate-300 sm:grid-cols-3 sm:p-8"
        >
          {[
            ["Secure checkout", "Payments are processed by Stripe. Your key is issued the moment payment succeeds."],
            ["Keys you can trust", "Keys are stored hashed and encrypted; installations verify a signed certificate."],
            ["Custom limits", "Need more clients or activations? Enterprise limits can be tailored per license."],
          ].map(([title, body]) => (
            <div key={title} className="flex gap-3">
              <ShieldIcon className="mt-0.5 size-5 shrink-0 text-brand-300" />
              <div>
                <h3 className="font-semibold text-white">{title}</h3>
                <p className="mt-1 text-sm leading-relaxed">{body}</p>
              </div>
            </div>
          ))}
        </section>
      </div>
    </>
  );
}
