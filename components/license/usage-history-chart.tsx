import { useId } from "react";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { EmptyState } from "../ui/empty-state";
import { ChartIcon } from "../ui/icons";
import { usageLevel, usagePercent } from "../ui/progress";
import { formatNumber, formatPeriodLong, formatPeriodShort } from "./format";

export type UsagePoint = { period: string; tickets: number };

export type UsageHistoryChartProps = {
  /** Oldest first, e.g. the last 6–12 months ("2026-11"). */
  data: UsagePoint[];
  /** The monthly ticket limit, drawn as a dashed line. */
  limit?: number;
  title?: string;
  /** Wrap in a Card with a heading (default true). */
  card?: boolean;
  className?: string;
};

const BAR_FILL = { ok: "fill-brand-500", warning: "fill-amber-600", critical: "fill-red-600" } as const;

function niceMax(value: number): number {
  if (value <= 0) return 10;
  const pow = 10 ** Math.floor(Math.log10(value));
  const n = value / pow;
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => n <= s) ?? 10;
  return step * pow;
}

/**
 * Tickets per month as a small bar chart with the limit as a dashed line.
 * The SVG is an image with a title/description; the numbers are also in a visually hidden table.
 */
export function UsageHistoryChart({
  data,
  limit,
  title = "Tickets per month",
  card = true,
  className,
}: UsageHistoryChartProps) {
  const uid = useId();
  const titleId = `${uid}-title`;
  const descId = `${uid}-desc`;
  const peak = Math.max(0, ...data.map((d) => d.tickets));
  const max = niceMax(Math.max(peak, limit ?? 0) * 1.08);
  const H = 160;
  const n = Math.max(data.length, 1);
  const W = n * 40;
  const barW = 24;
  const y = (v: number) => H - (Math.max(0, v) / max) * H;
  const latest = data[data.length - 1];
  const desc = latest
    ? `${data.length} months from ${formatPeriodLong(data[0]?.period ?? "")} to ${formatPeriodLong(latest.period)}. ` +
      `Peak ${formatNumber(peak)} tickets; latest ${formatNumber(latest.tickets)}` +
      (limit ? ` of a ${formatNumber(limit)} monthly limit.` : ".")
    : "No data.";

  const chart =
    data.length === 0 ? (
      <EmptyState
        icon={<ChartIcon />}
        title="No usage history yet"
        description="Monthly ticket counts appear here once installations report usage."
      />
    ) : (
      <figure className="m-0">
        <div className="flex gap-2">
          {/* Y axis labels */}
          <div
            className="tabular flex h-40 w-10 shrink-0 flex-col justify-between text-right text-[0.68rem] text-slate-500"
            aria-hidden="true"
          >
            <span className="-translate-y-1/2">{formatNumber(max)}</span>
            <span>{formatNumber(max / 2)}</span>
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
                const pct = limit ? usagePercent(d.tickets, limit) : 0;
                const level = limit ? usageLevel(pct) : "ok";
                const top = y(d.tickets);
                return (
                  <rect
                    key={d.period}
                    x={i * 40 + (40 - barW) / 2}
                    y={top}
                    width={barW}
                    height={Math.max(H - top, d.tickets > 0 ? 1.5 : 0)}
                    rx={3}
                    className={cn(BAR_FILL[level], i === data.length - 1 ? "opacity-100" : "opacity-85")}
                  >
                    <title>{`${formatPeriodLong(d.period)}: ${formatNumber(d.tickets)} tickets`}</title>
                  </rect>
                );
              })}
              {limit ? (
                <line
                  x1={0}
                  x2={W}
                  y1={y(limit)}
                  y2={y(limit)}
                  className="stroke-red-600"
                  strokeWidth={1.5}
                  strokeDasharray="5 4"
                  vectorEffect="non-scaling-stroke"
                />
              ) : null}
            </svg>
            <div className="mt-1.5 flex text-[0.68rem] text-slate-500" aria-hidden="true">
              {data.map((d) => (
                <span key={d.period} className="flex-1 truncate text-center">
                  {formatPeriodShort(d.period)}
                </span>
              ))}
            </div>
          </div>
        </div>
        <figcaption className="mt-4 flex flex-wrap gap-x-5 gap-y-1.5 text-xs text-slate-600" aria-hidden="true">
          <span className="inline-flex items-center gap-1.5">
            <span className="size-2.5 rounded-sm bg-brand-500" />
            Tickets
          </span>
          {limit ? (
            <>
              <span className="inline-flex items-center gap-1.5">
                <span className="size-2.5 rounded-sm bg-amber-600" />≥ 80% of limit
              </span>
              <span className="inline-flex items-center gap-1.5">
                <span className="size-2.5 rounded-sm bg-red-600" />
                At or over limit
              </span>
              <span className="inline-flex items-center gap-1.5">
                <span className="w-4 border-t-2 border-dashed border-red-600" />
                Limit {formatNumber(limit)}
              </span>
            </>
          ) : null}
        </figcaption>
        <table className="sr-only">
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col">Tickets</th>
              {limit ? <th scope="col">Share of limit</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.period}>
                <th scope="row">{formatPeriodLong(d.period)}</th>
                <td>{formatNumber(d.tickets)}</td>
                {limit ? <td>{usagePercent(d.tickets, limit)}%</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </figure>
    );

  if (!card) return <div className={className}>{chart}</div>;
  return (
    <Card as="section" aria-labelledby={`${uid}-heading`} className={className}>
      <CardHeader
        id={`${uid}-heading`}
        title={title}
        description={limit ? `Monthly limit: ${formatNumber(limit)} tickets` : undefined}
      />
      {chart}
    </Card>
  );
}
