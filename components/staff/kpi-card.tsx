import Link from "next/link";
import type { ReactNode } from "react";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";

export type KpiCardProps = {
  label: string;
  value: ReactNode;
  /** A line under the value (context, a comparison). */
  hint?: ReactNode;
  icon?: ReactNode;
  /** Turns the card into a link (e.g. to the filtered license list). */
  href?: string;
  tone?: "default" | "warning";
  className?: string;
};

/**
 * One key figure: label, big number, a hint. A dl with one dt/dd group (a div
 * holding only dt and dd, as axe's definition-list rule wants); the icon sits
 * beside it, outside the list.
 */
export function KpiCard({ label, value, hint, icon, href, tone = "default", className }: KpiCardProps) {
  return (
    <Card padding="sm" className={cn("relative sm:p-5", href && "transition-shadow hover:shadow-elevated", className)}>
      {href ? (
        <Link href={href} className="absolute inset-0 rounded-2xl" aria-label={`${label}: see the list`} />
      ) : null}
      <div className="flex items-start justify-between gap-3">
        <dl className="min-w-0">
          <div>
            <dt className="text-sm font-medium text-slate-600">{label}</dt>
            <dd className="tabular mt-2 text-xl font-bold tracking-tight text-slate-900 sm:text-2xl xl:text-3xl">
              {value}
            </dd>
            {hint ? <dd className="mt-1 text-xs text-slate-600">{hint}</dd> : null}
          </div>
        </dl>
        {icon ? (
          <span
            className={cn(
              "flex size-8 shrink-0 items-center justify-center rounded-lg",
              tone === "warning" ? "bg-amber-50 text-amber-700" : "bg-brand-50 text-brand-700",
            )}
            aria-hidden="true"
          >
            {icon}
          </span>
        ) : null}
      </div>
    </Card>
  );
}
