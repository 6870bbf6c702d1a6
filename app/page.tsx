import { formatPrice, PAID_PLAN_IDS, PLANS } from "@ticketzero/core/license/plans";
import type { LicenseStatusBody } from "@ticketzero/core/license/types";
import type { Metadata } from "next";
import { formatNumber } from "@/components/license/format";
import { LicenseStatusCard } from "@/components/license/license-status-card";
import { PLAN_TAGLINES } from "@/components/plans/plan-copy";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  ArrowRightIcon,
  ChartIcon,
  CheckIcon,
  CloudOffIcon,
  KeyIcon,
  PlugIcon,
  ServerIcon,
  ShieldIcon,
  SparkIcon,
} from "@/components/ui/icons";
import { UsageBar } from "@/components/ui/progress";

export const metadata: Metadata = {
  title: { absolute: "TicketZero AI · On-premises AI ticket processing for MSPs" },
};

const trial = PLANS.trial;
const pro = PLANS.professional;

/** Illustrative data for the hero preview (not a real license). */
const PREVIEW: LicenseStatusBody = {
  valid: true,
  code: "VALID",
  status: "valid",
  message: "Your Professional license is active.",
  license: {
    key: "TZ-PRO-****-****-****-7K2Q",
    plan: "professional",
    planName: pro.name,
    issuedAt: "2026-01-15T00:00:00Z",
    expiresAt: "2027-01-15T00:00:00Z",
    daysRemaining: 287,
  },
  limits: pro.limits,
  usage: {
    period: "2026-04",
    ticketsThisMonth: Math.round(pro.limits.maxTicketsPerMonth * 0.64),
    clients: pro.limits.maxClients - 2,
    activations: 2,
  },
  features: [],
  warnings: [],
  upgrade: null,
  activation: null,
  slots: null,
  replacement: null,
};

const VALUE_PROPS = [
  {
    icon: ServerIcon,
    title: "Runs on your servers",
    body: "TicketZero AI processes tickets on-premises. Client data never leaves your network—only a license check-in does.",
  },
  {
    icon: PlugIcon,
    title: "Built for Atera",
    body: "Native Atera integration triages, categorises and drafts replies on the tickets your technicians already work.",
  },
  {
    icon: SparkIcon,
    title: "Multi-LLM, your choice",
    body: "Professional and Enterprise route work across several language models and custom workflows per client.",
  },
  {
    icon: CloudOffIcon,
    title: "Keeps working offline",
    body: "Installations carry a signed license certificate, so a network outage never stops your helpdesk.",
  },
] as const;

const STEPS = [
  {
    icon: ShieldIcon,
    title: "Buy a plan",
    body: "Pick Starter, Professional or Enterprise and pay securely by card. Billed yearly.",
  },
  {
    icon: KeyIcon,
    title: "Get your key",
    body: "Your license key (TZ-PRO-XXXX-…) appears instantly and arrives by email.",
  },
  {
    icon: ServerIcon,
    title: "Activate",
    body: "Paste the key into Admin Panel → License & Billing, or let each server activate itself.",
  },
  {
    icon: ChartIcon,
    title: "Installations check in",
    body: "Servers report status and ticket usage; you watch days left, limits and installations in one place.",
  },
] as const;

const FAQ = [
  {
    q: "What happens when my license expires?",
    a: "You get renewal reminders 30 days ahead. After expiry, installations stop processing new tickets until you renew; your data and settings stay on your servers.",
  },
  {
    q: "Can I move a license to a new server?",
    a: `Yes. Deactivate the old installation in License & Billing to free its slot, then activate the new one. Each plan includes a number of activations (${formatNumber(PLANS.starter.limits.maxActivations)} on Starter, up to ${formatNumber(PLANS.enterprise.limits.maxActivations)} on Enterprise).`,
  },
  {
    q: "What if I go over my monthly ticket limit?",
    a: "You’ll see warnings at 80% and 100% of the limit. Tickets beyond the limit are not processed by AI until the next month or until you upgrade; nothing is billed automatically.",
  },
  {
    q: "Does the free trial need a credit card?",
    a: `No. Enter your email and get a ${trial.durationDays}-day trial key immediately, with ${formatNumber(trial.limits.maxClients)} clients and ${formatNumber(trial.limits.maxTicketsPerMonth)} tickets a month. One trial per email address.`,
  },
  {
    q: "How do upgrades work mid-term?",
    a: "Upgrading issues a key for the new plan right away. Your old key keeps working for a grace period so you can switch installations over without downtime.",
  },
  {
    q: "Do installations need to be online all the time?",
    a: "No. Each installation checks in periodically and keeps a signed certificate, so it keeps working through short outages and verifies the license offline.",
  },
] as const;

export default function LandingPage() {
  return (
    <>
      {/* Hero */}
      <section aria-labelledby="hero-heading" className="relative overflow-hidden border-b border-slate-200 bg-white">
        <div className="bg-grid pointer-events-none absolute inset-0 [mask-image:radial-gradient(ellipse_at_top,black,transparent_70%)]" />
        {/* A radial gradient, not a blurred disc: the same glow without a costly filter to paint. */}
        <div
          className="pointer-events-none absolute -top-40 left-1/2 size-[44rem] -translate-x-1/2 rounded-full bg-[radial-gradient(closest-side,var(--color-brand-200),transparent)] opacity-50"
          aria-hidden="true"
        />
        <div className="container-page relative grid items-center gap-12 py-16 sm:py-20 lg:grid-cols-[1.1fr_1fr] lg:py-24">
          <div>
            <Badge tone="brand" icon={<ServerIcon className="size-3.5" />}>
              On-premises AI for MSPs
            </Badge>
            <h1
              id="hero-heading"
              className="mt-5 text-4xl font-bold leading-[1.08] tracking-tight text-slate-900 sm:text-5xl lg:text-[3.25rem]"
            >
              AI ticket processing that runs <span className="text-brand-600">on your servers</span>
            </h1>
            <p className="mt-5 max-w-xl text-lg leading-relaxed text-slate-600">
              TicketZero AI triages, categorises and drafts replies for every client ticket, inside your own network.
              One license key, yearly billing, and a portal that shows exactly where you stand.
            </p>
            <div className="mt-8 flex flex-col gap-3 sm:flex-row">
              <Button href="/trial" size="lg" trailingIcon={<ArrowRightIcon />}>
                Start your free trial
              </Button>
              <Button href="/plans" size="lg" variant="secondary">
                Compare plans
              </Button>
            </div>
            <ul className="mt-8 flex flex-wrap gap-x-6 gap-y-2 text-sm text-slate-600">
              {[`${trial.durationDays}-day trial, no card`, "Atera integration", "Works offline"].map((t) => (
                <li key={t} className="flex items-center gap-1.5">
                  <CheckIcon className="size-4 text-emerald-600" />
                  {t}
                </li>
              ))}
            </ul>
          </div>

          {/* Product preview: illustrative, hidden from assistive tech */}
          <div aria-hidden="true" inert className="relative mx-auto w-full max-w-lg lg:max-w-none">
            <div className="absolute -inset-4 rounded-[1.75rem] bg-gradient-to-br from-brand-100/70 to-violet-100/70" />
            <div className="relative space-y-4 rounded-2xl bg-slate-50/90 p-3 shadow-elevated ring-1 ring-slate-200 sm:p-4">
              <div className="flex items-center gap-1.5 px-1">
                <span className="size-2.5 rounded-full bg-slate-300" />
                <span className="size-2.5 rounded-full bg-slate-300" />
                <span className="size-2.5 rounded-full bg-slate-300" />
                <span className="ml-3 text-xs font-medium text-slate-500">Admin Panel · License &amp; Billing</span>
              </div>
              <LicenseStatusCard status={PREVIEW} />
              <div className="space-y-4 rounded-2xl bg-white p-5 shadow-card ring-1 ring-slate-200">
                <UsageBar
                  id="hero-tickets"
                  label="Tickets this month"
                  used={PREVIEW.usage?.ticketsThisMonth ?? 0}
                  limit={pro.limits.maxTicketsPerMonth}
                />
                <UsageBar
                  id="hero-clients"
                  label="MSP clients"
                  used={PREVIEW.usage?.clients ?? 0}
                  limit={pro.limits.maxClients}
                />
              </div>
            </div>
          </div>
        </div>
      </section>

      {/* Value props */}
      <section aria-labelledby="why-heading" className="container-page py-20">
        <div className="max-w-2xl">
          <p className="text-sm font-semibold text-brand-700">Why TicketZero AI</p>
          <h2 id="why-heading" className="mt-2 text-3xl font-bold sm:text-4xl">
            Enterprise AI without sending client data to the cloud
          </h2>
        </div>
        <ul className="mt-12 grid gap-6 sm:grid-cols-2 lg:grid-cols-4">
          {VALUE_PROPS.map(({ icon: Icon, title, body }) => (
            <li key={title} className="rounded-2xl bg-white p-6 shadow-card ring-1 ring-slate-200">
              <span className="flex size-11 items-center justify-center rounded-xl bg-brand-50 text-brand-700 ring-1 ring-brand-100">
                <Icon className="size-5" />
              </span>
              <h3 className="mt-5 font-semibold text-slate-900">{title}</h3>
              <p className="mt-2 text-sm leading-relaxed text-slate-600">{body}</p>
            </li>
          ))}
        </ul>
      </section>

      {/* Plan teaser */}
      <section aria-labelledby="plans-heading" className="border-y border-slate-200 bg-white">
        <div className="container-page py-20">
          <div className="flex flex-col justify-between gap-6 md:flex-row md:items-end">
            <div className="max-w-2xl">
              <p className="text-sm font-semibold text-brand-700">Simple yearly pricing</p>
              <h2 id="plans-heading" className="mt-2 text-3xl font-bold sm:text-4xl">
                A plan for every size of MSP
              </h2>
              <p className="mt-3 text-slate-600">
                Every plan includes AI ticket processing and the Atera integration. Limits and features grow with you.
              </p>
            </div>
            <Button href="/plans" variant="secondary" trailingIcon={<ArrowRightIcon />}>
              Compare all features
            </Button>
          </div>
          <ul className="mt-10 grid gap-5 md:grid-cols-3">
            {PAID_PLAN_IDS.map((id) => {
              const plan = PLANS[id];
              return (
                <li
                  key={id}
                  className={
                    plan.recommended
                      ? "relative rounded-2xl bg-brand-50/60 p-6 ring-2 ring-brand-600"
                      : "relative rounded-2xl bg-white p-6 ring-1 ring-slate-200"
                  }
                >
                  <div className="flex items-center justify-between gap-2">
                    <h3 className="text-lg font-semibold">{plan.name}</h3>
                    {plan.recommended ? <Badge tone="brand">Recommended</Badge> : null}
                  </div>
                  <p className="mt-1 text-sm text-slate-600">{PLAN_TAGLINES[id]}</p>
                  <p className="mt-4">
                    <span className="tabular text-3xl font-bold">{formatPrice(plan.priceCents)}</span>
                    <span className="text-sm text-slate-600"> / year</span>
                  </p>
                  <p className="mt-3 text-sm text-slate-700">
                    <span className="tabular font-semibold">{formatNumber(plan.limits.maxClients)}</span> clients ·{" "}
                    <span className="tabular font-semibold">{formatNumber(plan.limits.maxTicketsPerMonth)}</span>{" "}
                    tickets/month
                  </p>
                </li>
              );
            })}
          </ul>
          <div className="mt-8 flex flex-col items-start gap-3 rounded-2xl bg-slate-50 p-5 ring-1 ring-slate-200 sm:flex-row sm:items-center sm:justify-between">
            <p className="text-sm text-slate-700">
              <span className="font-semibold text-slate-900">Not sure yet?</span> Try it free for {trial.durationDays}{" "}
              days: {formatNumber(trial.limits.maxClients)} clients, {formatNumber(trial.limits.maxTicketsPerMonth)}{" "}
              tickets/month, no credit card.
            </p>
            <Button href="/trial" size="sm">
              Start your free trial
            </Button>
          </div>
        </div>
      </section>

      {/* How licensing works */}
      <section id="how-licensing-works" aria-labelledby="how-heading" className="container-page py-20">
        <div className="max-w-2xl">
          <p className="text-sm font-semibold text-brand-700">How licensing works</p>
          <h2 id="how-heading" className="mt-2 text-3xl font-bold sm:text-4xl">
            From purchase to production in minutes
          </h2>
        </div>
        <ol className="mt-12 grid gap-6 md:grid-cols-2 lg:grid-cols-4">
          {STEPS.map(({ icon: Icon, title, body }, i) => (
            <li key={title} className="relative rounded-2xl bg-white p-6 shadow-card ring-1 ring-slate-200">
              <div className="flex items-center gap-3">
                <span className="flex size-9 items-center justify-center rounded-full bg-brand-600 text-sm font-bold text-white">
                  <span className="sr-only">Step </span>
                  {i + 1}
                </span>
                <Icon className="size-5 text-brand-600" />
              </div>
              <h3 className="mt-4 font-semibold text-slate-900">{title}</h3>
              <p className="mt-2 text-sm leading-relaxed text-slate-600">{body}</p>
            </li>
          ))}
        </ol>
        <div className="mt-8 rounded-2xl bg-slate-900 p-5 font-mono text-xs text-slate-300 sm:p-6 sm:text-sm">
          <p className="text-slate-400"># an installation checking in</p>
          <p className="mt-1 break-all">
            <span className="text-brand-300">GET</span> /api/license-status{" "}
            <span className="text-slate-400">· Authorization: Bearer TZ-PRO-…</span>
          </p>
          <p className="mt-1 break-all text-emerald-300">
            {'{ "valid": true, "status": "valid", "license": { "planName": "Professional", "daysRemaining": 287 } }'}
          </p>
        </div>
      </section>

      {/* FAQ */}
      <section id="faq" aria-labelledby="faq-heading" className="border-t border-slate-200 bg-white">
        <div className="container-page grid gap-10 py-20 lg:grid-cols-[1fr_2fr]">
          <div>
            <p className="text-sm font-semibold text-brand-700">FAQ</p>
            <h2 id="faq-heading" className="mt-2 text-3xl font-bold">
              Questions MSPs ask
            </h2>
            <p className="mt-3 text-slate-600">Licensing, limits, trials and installations.</p>
          </div>
          <div className="divide-y divide-slate-200 rounded-2xl ring-1 ring-slate-200">
            {FAQ.map(({ q, a }) => (
              <details key={q} className="group px-5 sm:px-6">
                <summary className="flex cursor-pointer list-none items-center justify-between gap-4 py-5 font-medium text-slate-900 [&::-webkit-details-marker]:hidden">
                  {q}
                  <span
                    className="flex size-7 shrink-0 items-center justify-center rounded-full bg-slate-100 text-slate-600 transition-transform group-open:rotate-45"
                    aria-hidden="true"
                  >
                    +
                  </span>
                </summary>
                <p className="-mt-1 pb-5 text-sm leading-relaxed text-slate-600">{a}</p>
              </details>
            ))}
          </div>
        </div>
      </section>

      {/* Final CTA */}
      <section aria-labelledby="cta-heading" className="container-page py-20">
        <div className="relative overflow-hidden rounded-3xl bg-gradient-to-br from-brand-700 via-brand-600 to-accent-600 px-6 py-12 text-center text-white shadow-elevated sm:px-12">
          <div className="bg-grid pointer-events-none absolute inset-0 opacity-30" aria-hidden="true" />
          <div className="relative">
            <h2 id="cta-heading" className="text-3xl font-bold text-white sm:text-4xl">
              Put AI on your ticket queue this week
            </h2>
            <p className="mx-auto mt-3 max-w-xl text-brand-50">
              Start a free {trial.durationDays}-day trial, or buy {pro.name} for {formatPrice(pro.priceCents)} a year.
            </p>
            <div className="mt-8 flex flex-col justify-center gap-3 sm:flex-row">
              <Button
                href="/trial"
                size="lg"
                variant="secondary"
                className="text-brand-800 ring-0 focus-visible:outline-white"
              >
                Start your free trial
              </Button>
              <Button
                href="/plans"
                size="lg"
                variant="ghost"
                className="text-white ring-1 ring-white/40 hover:bg-white/10 hover:text-white focus-visible:outline-white"
              >
                See plans &amp; pricing
              </Button>
            </div>
          </div>
        </div>
      </section>
    </>
  );
}
