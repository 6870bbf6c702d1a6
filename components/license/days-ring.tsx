import type { StatusIndicator as Status } from "@ticketzero/core/license/types";
import { cn } from "../ui/cn";

const STROKE: Record<Status, string> = {
  valid: "stroke-emerald-500",
  expiring_soon: "stroke-amber-500",
  trial: "stroke-sky-500",
  expired: "stroke-red-500",
  invalid: "stroke-red-500",
};

export type DaysRingProps = {
  daysRemaining: number;
  totalDays: number;
  status: Status;
  /** Shown instead of the day count when a count would mislead (e.g. "Suspended"). */
  word?: string;
  className?: string;
};

/** A ring showing the fraction of the license term left, with the day count in the middle. */
export function DaysRing({ daysRemaining, totalDays, status, word, className }: DaysRingProps) {
  const days = word ? 0 : Math.max(0, daysRemaining);
  const fraction = Math.min(1, days / Math.max(1, totalDays));
  const r = 42;
  const c = 2 * Math.PI * r;
  return (
    <div
      role="img"
      aria-label={word ?? `${days} of ${totalDays} days remaining (${Math.round(fraction * 100)}% of the term left)`}
      className={cn("relative size-28 shrink-0", className)}
    >
      <svg viewBox="0 0 100 100" className="size-full -rotate-90" aria-hidden="true">
        <circle cx="50" cy="50" r={r} fill="none" strokeWidth="9" className="stroke-slate-200" />
        <circle
          cx="50"
          cy="50"
          r={r}
          fill="none"
          strokeWidth="9"
          strokeLinecap="round"
          strokeDasharray={c}
          strokeDashoffset={c * (1 - fraction)}
          className={cn(STROKE[status], "transition-[stroke-dashoffset] duration-700")}
        />
      </svg>
      <div className="absolute inset-0 flex flex-col items-center justify-center" aria-hidden="true">
        {word ? (
          <span className="px-2 text-center text-sm font-semibold text-slate-900">{word}</span>
        ) : (
          <>
            <span className="tabular text-2xl font-bold text-slate-900">{days}</span>
            <span className="text-[0.7rem] font-medium text-slate-600">{days === 1 ? "day left" : "days left"}</span>
          </>
        )}
      </div>
    </div>
  );
}
