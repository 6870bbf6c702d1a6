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

/** One key figure: label, big number, a hint. */
export function KpiCard({ label, value, hint, icon, href, tone = "default", className }: KpiCardProps) {
  const body = (
    <>
      <div className="flex items-center justify-between gap-3">
        <dt className="text-sm font-medium text-slate-600">{label}</dt>
        {icon ? (
          <span
            className={cn(
              "flex size-8 items-center justify-center rounded-lg",
              tone === "warning" ? "bg-amber-50 text-amber-700" : "bg-brand-50 text-brand-700",
            )}
            aria-hidden="true"
          >
            {icon}
          </span>
        ) : null}
      </div>
      <dd className="tabular mt-2 text-xl font-bold tracking-tight text-slate-900 sm:text-2xl xl:text-3xl">{value}</dd>
      {hint ? <dd className="mt-1 text-xs text-slate-600">{hint}</dd> : null}
    </>
  );
  return (
    <Card padding="sm" className={cn("relative sm:p-5", href && "transition-shadow hover:shadow-elevated", className)}>
      {href ? (
        <Link href={href} className="absolute inset-0 rounded-2xl" aria-label={`${label}: see the list`} />
      ) : null}
      <dl>{body}</dl>
    </Card>
  );
}
