import { FEATURES, formatPrice, type Plan } from "@ticketzero/core/license/plans";
import type { ReactNode } from "react";
import { formatNumber } from "../license/format";
import { Card } from "../ui/card";
import { cn } from "../ui/cn";
import { CheckIcon } from "../ui/icons";
import { PLAN_TAGLINES } from "./plan-copy";

export function planLimitRows(plan: Plan): { label: string; value: string }[] {
  return [
    { label: "MSP clients", value: formatNumber(plan.limits.maxClients) },
    { label: "Tickets / month", value: formatNumber(plan.limits.maxTicketsPerMonth) },
    { label: "Activations", value: formatNumber(plan.limits.maxActivations) },
  ];
}

export type PlanCardProps = {
  plan: Plan;
  /** The call to action (a Button). */
  action?: ReactNode;
  /** Extra badge next to the name (e.g. "Current plan"). */
  badge?: ReactNode;
  /** Visually emphasise (defaults to the plan's `recommended`). */
  emphasis?: boolean;
  /** Hide the feature list (compact picker). */
  hideFeatures?: boolean;
  headingLevel?: 2 | 3;
  className?: string;
};

/** One plan: name, yearly price, limits and features with check marks. */
export function PlanCard({
  plan,
  action,
  badge,
  emphasis = plan.recommended,
  hideFeatures,
  headingLevel = 2,
  className,
}: PlanCardProps) {
  const H = `h${headingLevel}` as "h2" | "h3";
  const Sub = `h${headingLevel + 1}` as "h3" | "h4";
  const perYear = plan.priceCents > 0;
  return (
    <Card
      as="article"
      emphasis={emphasis}
      padding="none"
      className={cn("relative flex flex-col", emphasis && "lg:-my-3", className)}
      aria-label={`${plan.name} plan`}
    >
      {plan.recommended ? (
        <div className="absolute -top-3.5 left-1/2 -translate-x-1/2">
          <span className="inline-flex items-center gap-1 rounded-full bg-brand-600 px-3 py-1 text-xs font-semibold text-white shadow-sm">
            Recommended
          </span>
        </div>
      ) : null}
      <div className={cn("p-6 sm:p-7", emphasis && "lg:pt-9")}>
        <div className="flex flex-wrap items-center gap-2">
          <H className={cn("text-lg font-semibold", emphasis ? "text-brand-700" : "text-slate-900")}>{plan.name}</H>
          {badge}
        </div>
        <p className="mt-2 min-h-10 text-sm leading-relaxed text-slate-600">{PLAN_TAGLINES[plan.id]}</p>
        <p className="mt-5 flex items-baseline gap-1.5">
          <span className="tabular text-4xl font-bold tracking-tight text-slate-900">
            {formatPrice(plan.priceCents)}
          </span>
          <span className="text-sm font-medium text-slate-500">
            {perYear ? "/ year" : `for ${plan.durationDays} days`}
          </span>
        </p>
        {perYear ? (
          <p className="mt-1 text-xs text-slate-500">
            Billed yearly · about {formatPrice(Math.round(plan.priceCents / 12 / 100) * 100)} per month
          </p>
        ) : null}
        {action ? <div className="mt-6">{action}</div> : null}
      </div>
      <div className="border-t border-slate-100 px-6 py-5 sm:px-7">
        <Sub className="sr-only">Limits</Sub>
        <dl className="grid grid-cols-3 gap-2 text-center">
          {planLimitRows(plan).map((row) => (
            <div key={row.label} className="flex flex-col-reverse rounded-lg bg-slate-50 px-1 py-2.5">
              <dt className="mt-0.5 text-[0.7rem] leading-tight text-slate-600">{row.label}</dt>
              <dd className="tabular text-base font-bold text-slate-900">{row.value}</dd>
            </div>
          ))}
        </dl>
      </div>
      {hideFeatures ? null : (
        <div className="flex-1 border-t border-slate-100 px-6 pt-5 pb-7 sm:px-7">
          <Sub className="text-xs font-semibold tracking-wide text-slate-500 uppercase">What’s included</Sub>
          <ul className="mt-3 space-y-2.5">
            {plan.features.map((key) => (
              <li key={key} className="flex items-start gap-2.5 text-sm text-slate-700">
                <CheckIcon className={cn("mt-0.5 size-4 shrink-0", emphasis ? "text-brand-600" : "text-emerald-600")} />
                {FEATURES[key]}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Card>
  );
}
