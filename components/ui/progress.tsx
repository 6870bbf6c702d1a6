import { type ReactNode, useId } from "react";
import { formatNumber } from "../license/format";
import { cn } from "./cn";
import { ErrorIcon, WarningIcon } from "./icons";

export type UsageLevel = "ok" | "warning" | "critical";

/** Amber at ≥ 80 %, red at ≥ 100 %. */
export function usageLevel(percent: number): UsageLevel {
  if (percent >= 100) return "critical";
  if (percent >= 80) return "warning";
  return "ok";
}

export function usagePercent(used: number, limit: number): number {
  if (!Number.isFinite(limit) || limit <= 0) return used > 0 ? 100 : 0;
  return Math.max(0, Math.round((used / limit) * 100));
}

const BAR: Record<UsageLevel | "brand" | "neutral", string> = {
  ok: "bg-brand-600",
  brand: "bg-brand-600",
  neutral: "bg-slate-500",
  warning: "bg-amber-600",
  critical: "bg-red-600",
};

export type ProgressBarProps = {
  value: number;
  max: number;
  /** Accessible name of the progressbar. */
  label: string;
  /** Screen-reader value text; defaults to "<value> of <max> (<n>%)". */
  valueText?: string;
  /** Colour: "auto" follows the 80 % / 100 % thresholds. */
  tone?: "auto" | "brand" | "neutral" | UsageLevel;
  size?: "sm" | "md";
  className?: string;
  /** id of a visible label element; used instead of aria-label when given. */
  labelledBy?: string;
};

export function ProgressBar({
  value,
  max,
  label,
  valueText,
  tone = "auto",
  size = "md",
  className,
  labelledBy,
}: ProgressBarProps) {
  const percent = usagePercent(value, max);
  const level = tone === "auto" ? usageLevel(percent) : tone;
  return (
    <div
      role="progressbar"
      aria-label={labelledBy ? undefined : label}
      aria-labelledby={labelledBy}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={Math.min(value, Math.max(max, 0))}
      aria-valuetext={valueText ?? `${formatNumber(value)} of ${formatNumber(max)} (${percent}%)`}
      className={cn("w-full overflow-hidden rounded-full bg-slate-200", size === "sm" ? "h-1.5" : "h-2.5", className)}
    >
      <div
        className={cn("h-full rounded-full transition-[width] duration-500", BAR[level])}
        style={{ width: `${Math.min(percent, 100)}%` }}
      />
    </div>
  );
}

export type UsageBarProps = {
  /** e.g. "Tickets this month". */
  label: string;
  used: number;
  limit: number;
  /** Optional unit after the numbers, e.g. "tickets". */
  unit?: string;
  /** Small text under the bar, e.g. "Resets on Dec 1". */
  hint?: ReactNode;
  icon?: ReactNode;
  className?: string;
  /** Id prefix (defaults to useId()). */
  id?: string;
};

/** Label, used/limit numbers, a threshold-coloured bar, and the words "80% used" / "Limit reached". */
export function UsageBar({ label, used, limit, unit, hint, icon, className, id }: UsageBarProps) {
  const percent = usagePercent(used, limit);
  const level = usageLevel(percent);
  const autoId = useId();
  const baseId = id ?? autoId;
  const labelId = `${baseId}-label`;
  const statusText =
    level === "critical"
      ? percent > 100
        ? `${percent}% used · over limit`
        : "100% used · limit reached"
      : level === "warning"
        ? `${percent}% used · near limit`
        : `${percent}% used`;
  return (
    <div className={cn("space-y-2", className)}>
      <div className="flex items-baseline justify-between gap-3">
        <span id={labelId} className="flex items-center gap-2 text-sm font-medium text-slate-800">
          {icon ? <span className="text-slate-500">{icon}</span> : null}
          {label}
        </span>
        <span className="tabular text-sm text-slate-600">
          <span className="font-semibold text-slate-900">{formatNumber(used)}</span>
          <span aria-hidden="true"> / </span>
          <span className="sr-only"> of </span>
          {formatNumber(limit)}
          {unit ? ` ${unit}` : null}
        </span>
      </div>
      <ProgressBar value={used} max={limit} label={label} labelledBy={labelId} />
      <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1 text-xs">
        <span
          className={cn(
            "inline-flex items-center gap-1 font-medium",
            level === "critical" ? "text-red-700" : level === "warning" ? "text-amber-800" : "text-slate-600",
          )}
        >
          {level === "critical" ? (
            <ErrorIcon className="size-3.5" />
          ) : level === "warning" ? (
            <WarningIcon className="size-3.5" />
          ) : null}
          {statusText}
        </span>
        {hint ? <span className="text-slate-500">{hint}</span> : null}
      </div>
    </div>
  );
}
