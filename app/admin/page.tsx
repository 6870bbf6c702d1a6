import { accountLicense } from "@ticketzero/core/license/license-status";
import type { Metadata } from "next";
import type { ReactNode } from "react";
import { formatDate, formatNumber } from "@/components/license/format";
import { statusCopy } from "@/components/license/status-copy";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ArrowRightIcon, ChartIcon, ClockIcon, KeyIcon, ServerIcon, SparkIcon } from "@/components/ui/icons";
import { UsageBar } from "@/components/ui/progress";
import { StatusIndicator } from "@/components/ui/status-indicator";
import { requireUser } from "./_lib/session";

export const metadata: Metadata = { title: "Overview" };

function SummaryCard({ title, icon, children }: { title: string; icon: ReactNode; children: ReactNode }) {
  return (
    <Card as="section" aria-label={title} padding="sm" className="sm:p-5">
      <div className="flex items-center gap-2 text-sm font-medium text-slate-600">
        <span className="flex size-7 items-center justify-center rounded-lg bg-brand-50 text-brand-700">{icon}</span>
        <h2>{title}</h2>
      </div>
      <div className="mt-3">{children}</div>
    </Card>
  );
}

export default async function AdminOverviewPage() {
  const user = await requireUser("/admin");
  const { license, status, installations } = await accountLicense(user.id);
  const summary = status.license;
  const copy = statusCopy(status, license?.id);

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-bold sm:text-3xl">Overview</h1>
        <p className="mt-1 text-slate-600">Your TicketZero AI license at a glance.</p>
      </div>

      {license && summary ? (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <SummaryCard title="License status" icon={<KeyIcon className="size-4" />}>
            <StatusIndicator status={status.status} label={copy.word} />
            <p className="mt-2 text-lg font-semibold text-slate-900">{summary.planName} plan</p>
          </SummaryCard>
          <SummaryCard title="Days remaining" icon={<ClockIcon className="size-4" />}>
            {copy.days === null ? (
              <p className="text-2xl font-bold text-slate-900">{copy.word}</p>
            ) : (
              <p className="tabular text-3xl font-bold text-slate-900">{formatNumber(copy.days)}</p>
            )}
            {copy.dateLabel && copy.date ? (
              <p className="mt-1 text-sm text-slate-600">
                {copy.dateLabel} <time dateTime={copy.date}>{formatDate(copy.date)}</time>
              </p>
            ) : null}
          </SummaryCard>
          <SummaryCard title="Usage" icon={<SparkIcon className="size-4" />}>
            {status.usage && status.limits ? (
              <UsageBar
                label="Tickets this month"
                used={status.usage.ticketsThisMonth}
                limit={status.limits.maxTicketsPerMonth}
              />
            ) : (
              <p className="text-sm text-slate-600">No usage reported.</p>
            )}
          </SummaryCard>
          <SummaryCard title="Installations" icon={<ServerIcon className="size-4" />}>
            <p className="tabular text-3xl font-bold text-slate-900">
              {formatNumber(installations.length)}
              <span className="text-base font-medium text-slate-500">
                {" "}
                of {formatNumber(status.limits?.maxActivations ?? license.maxActivations)}
              </span>
            </p>
            <p className="mt-1 text-sm text-slate-600">activations in use</p>
          </SummaryCard>
        </div>
      ) : (
        <Card padding="lg" className="flex flex-col gap-5 sm:flex-row sm:items-center sm:justify-between">
          <div>
            <StatusIndicator status="invalid" label="No license" />
            <h2 className="mt-3 text-xl font-semibold">You don’t have a license yet</h2>
            <p className="mt-1 max-w-xl text-slate-600">
              Activate a key you already have, start a free 30-day trial, or buy a plan.
            </p>
          </div>
          <Button href="/admin/license" size="lg" trailingIcon={<ArrowRightIcon />}>
            Set up a license
          </Button>
        </Card>
      )}

      {license && summary && (copy.nextStep || status.code !== "VALID") ? (
        <Card
          as="section"
          aria-label="What to do next"
          padding="sm"
          className="flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between sm:p-5"
          data-testid="license-next-step"
        >
          <p className="max-w-3xl text-sm text-slate-700">{copy.message}</p>
          {copy.nextStep ? (
            <Button
              href={copy.nextStep.href.startsWith("#") ? `/admin/license${copy.nextStep.href}` : copy.nextStep.href}
              className="shrink-0"
              trailingIcon={copy.nextStep.kind === "support" ? undefined : <ArrowRightIcon />}
            >
              {copy.nextStep.label}
            </Button>
          ) : null}
        </Card>
      ) : null}

      {status.warnings.length > 0 ? (
        <Card as="section" aria-labelledby="attention-heading">
          <h2 id="attention-heading" className="text-base font-semibold">
            Needs attention
          </h2>
          <ul className="mt-3 list-disc space-y-1 pl-5 text-sm text-slate-700">
            {status.warnings.map((w) => (
              <li key={w.code}>{w.message}</li>
            ))}
          </ul>
        </Card>
      ) : null}

      <section aria-labelledby="quick-links-heading">
        <h2 id="quick-links-heading" className="text-base font-semibold">
          Quick links
        </h2>
        <ul className="mt-3 grid gap-4 sm:grid-cols-3">
          {[
            {
              href: "/admin/license",
              title: "License & Billing",
              text: "Status, usage, features, installations.",
              icon: <ChartIcon className="size-5" />,
            },
            {
              href: "/admin/license#activate",
              title: "Activate a license key",
              text: "Link a key you bought or were sent.",
              icon: <KeyIcon className="size-5" />,
            },
            {
              href: "/admin/license#plans",
              title: license ? "Upgrade or renew" : "Buy a plan",
              text: "Starter, Professional, Enterprise.",
              icon: <SparkIcon className="size-5" />,
            },
          ].map((link) => (
            <li key={link.href}>
              <a
                href={link.href}
                className="group flex h-full items-start gap-3 rounded-2xl bg-white p-4 shadow-card ring-1 ring-slate-200 transition hover:ring-brand-300 focus-visible:outline-2 focus-visible:outline-brand-600"
              >
                <span className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-slate-100 text-slate-700 group-hover:bg-brand-50 group-hover:text-brand-700">
                  {link.icon}
                </span>
                <span>
                  <span className="block font-semibold text-slate-900">{link.title}</span>
                  <span className="block text-sm text-slate-600">{link.text}</span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
