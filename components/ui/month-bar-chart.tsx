import { type ReactNode, useId } from "react";
import { formatPeriodLong, formatPeriodShort } from "@/components/license/format";
import { cn } from "@/components/ui/cn";
import { EmptyState } from "@/components/ui/empty-state";
import { ChartIcon } from "@/components/ui/icons";

export type ChartSeries = {
  key: string;
  label: string;
  /** SVG fill class, e.g. "fill-brand-500". */
  fill: string;
  /** Legend swatch class, e.g. "bg-brand-500". */
  swatch: string;
};

export type MonthRow = { period: string; values: Record<string, number> };

export type MonthBarChartProps = {
  /** Accessible name of the chart (the SVG title and the hidden table's caption). */
  title: string;
  /** Oldest first, `YYYY-MM`. */
  data: MonthRow[];
  /** One series draws plain bars; more are stacked in the given order (bottom first). */
  series: ChartSeries[];
  format: (value: number) => string;
  /** Short format for the y axis (defaults to `format`). */
  formatAxis?: (value: number) => string;
  /** A limit drawn as a dashed red line (e.g. the monthly ticket limit). */
  limit?: number;
  /** Overrides a bar's fill (e.g. amber near a limit, red at it). */
  barFill?: (value: number, series: ChartSeries) => string;
  /** The SVG description; defaults to the span, total and highest month. */
  description?: (data: MonthRow[]) => string;
  /** Extra legend entries; the legend shows when there are several series or extras. */
  legend?: { key: string; swatch: ReactNode; label: string }[];
  /** An extra column in the hidden table (e.g. share of the limit). */
  extraColumn?: { label: string; value: (row: MonthRow) => string };
  emptyTitle?: string;
  emptyDescription?: string;
  className?: string;
};

/** Rounds up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ. */
export function niceMax(value: number): number {
  if (value <= 0) return 10;
  const pow = 10 ** Math.floor(Math.log10(value));
  const n = value / pow;
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => n <= s) ?? 10;
  return step * pow;
}

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
export const formatCompact = (n: number) => compact.format(n);

/**
 * Monthly bars (plain or stacked) as an SVG image with a title and a
 * description; the same numbers are in a visually hidden table for screen
 * readers, and each bar has a tooltip. The one chart of the admin panel and
 * the back office.
 */
export function MonthBarChart({
  title,
  data,
  series,
  format,
  formatAxis = format,
  limit,
  barFill,
  description,
  legend = [],
  extraColumn,
  emptyTitle = "Nothing yet",
  emptyDescription,
  className,
}: MonthBarChartProps) {
  const uid = useId();
  const titleId = `${uid}-title`;
  const descId = `${uid}-desc`;
  const totals = data.map((d) => series.reduce((sum, s) => sum + (d.values[s.key] ?? 0), 0));
  const peak = Math.max(0, ...totals);
  const sum = totals.reduce((a, b) => a + b, 0);
  const max = niceMax(Math.max(peak, limit ?? 0) * 1.05);
  const H = 160;
  const slot = 40;
  const barW = 24;
  const W = Math.max(data.length, 1) * slot;
  const scale = (v: number) => (Math.max(0, v) / max) * H;
  const peakIndex = totals.indexOf(peak);
  const desc =
    data.length === 0
      ? "No data."
      : description
        ? description(data)
        : `${data.length} months from ${formatPeriodLong(data[0]!.period)} to ${formatPeriodLong(data[data.length - 1]!.period)}. ` +
          `Total ${format(sum)}; highest ${format(peak)} in ${formatPeriodLong(data[peakIndex]?.period ?? "")}.`;

  if (sum === 0) {
    return (
      <EmptyState
        className={className}
        icon={<ChartIcon />}
        title={emptyTitle}
        description={emptyDescription ?? `No figures for the last ${data.length} months yet.`}
      />
    );
  }

  const legendItems = [
    ...(series.length > 1 || legend.length
      ? series.map((s) => ({
          key: s.key,
          swatch: <span className={cn("size-2.5 rounded-sm", s.swatch)} />,
          label: s.label,
        }))
      : []),
    ...legend,
  ];

  return (
    <figure className={cn("m-0", className)}>
      <div className="flex gap-2">
        <div
          className="tabular flex h-40 w-12 shrink-0 flex-col justify-between text-right text-[0.68rem] text-slate-500"
          aria-hidden="true"
        >
          <span className="-translate-y-1/2">{formatAxis(max)}</span>
          <span>{formatAxis(max / 2)}</span>
          <span className="translate-y-1/2">0</span>
        </div>
        <div className="relative min-w-0 flex-1">
          <svg
            viewBox={`0 0 ${W} ${H}`}
            preserveAspectRatio="none"
            className="block h-40 w-full overflow-visible"
            role="img"
            aria-labelledby={`${titleId} ${descId}`}
          >
            <title id={titleId}>{title}</title>
            <desc id={descId}>{desc}</desc>
            {[0, 0.5, 1].map((f) => (
              <line
                key={f}
                x1={0}
                x2={W}
                y1={H * f}
                y2={H * f}
                className="stroke-slate-200"
                strokeWidth={1}
                vectorEffect="non-scaling-stroke"
              />
            ))}
            {data.map((d, i) => {
              let base = H;
              const label = `${formatPeriodLong(d.period)}: ${series
                .map((s) =>
                  series.length > 1 ? `${s.label} ${format(d.values[s.key] ?? 0)}` : format(d.values[s.key] ?? 0),
                )
                .join(", ")}`;
              return (
                <g key={d.period}>
                  <title>{label}</title>
                  {series.map((s) => {
                    const value = d.values[s.key] ?? 0;
                    const h = scale(value);
                    if (h <= 0) return null;
                    base -= h;
                    return (
                      <rect
                        key={s.key}
                        x={i * slot + (slot - barW) / 2}
                        y={base}
                        width={barW}
                        height={Math.max(h, 1.5)}
                        rx={series.length > 1 ? 1.5 : 3}
                        className={barFill ? barFill(value, s) : s.fill}
                      />
                    );
                  })}
                </g>
              );
            })}
            {limit ? (
              <line
                x1={0}
                x2={W}
                y1={H - scale(limit)}
                y2={H - scale(limit)}
                className="stroke-red-600"
                strokeWidth={1.5}
                strokeDasharray="5 4"
                vectorEffect="non-scaling-stroke"
              />
            ) : null}
          </svg>
          <div className="mt-1.5 flex text-[0.68rem] text-slate-500" aria-hidden="true">
            {data.map((d, i) => (
              <span
                key={d.period}
                className={cn("flex-1 truncate text-center", i % 2 === 1 && data.length > 8 && "max-sm:invisible")}
              >
                {formatPeriodShort(d.period)}
              </span>
            ))}
          </div>
        </div>
      </div>
      {legendItems.length ? (
        <figcaption className="mt-4 flex flex-wrap gap-x-5 gap-y-1.5 text-xs text-slate-600" aria-hidden="true">
          {legendItems.map((item) => (
            <span key={item.key} className="inline-flex items-center gap-1.5">
              {item.swatch}
              {item.label}
            </span>
          ))}
        </figcaption>
      ) : null}
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Month</th>
            {series.map((s) => (
              <th key={s.key} scope="col">
                {s.label}
              </th>
            ))}
            {extraColumn ? <th scope="col">{extraColumn.label}</th> : null}
          </tr>
        </thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.period}>
              <th scope="row">{formatPeriodLong(d.period)}</th>
              {series.map((s) => (
                <td key={s.key}>{format(d.values[s.key] ?? 0)}</td>
              ))}
              {extraColumn ? <td>{extraColumn.value(d)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
