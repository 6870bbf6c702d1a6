import { useId } from "react";
import { Card, CardHeader } from "../ui/card";
import { type ChartSeries, MonthBarChart } from "../ui/month-bar-chart";
import { usageLevel, usagePercent } from "../ui/progress";
import { formatNumber, formatPeriodLong } from "./format";

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
const TICKETS: ChartSeries[] = [{ key: "tickets", label: "Tickets", fill: BAR_FILL.ok, swatch: "bg-brand-500" }];

/** Tickets per month with the limit as a dashed line; bars turn amber at 80% and red at 100% of the limit. */
export function UsageHistoryChart({
  data,
  limit,
  title = "Tickets per month",
  card = true,
  className,
}: UsageHistoryChartProps) {
  const uid = useId();
  const rows = data.map((d) => ({ period: d.period, values: { tickets: d.tickets } }));
  const peak = Math.max(0, ...data.map((d) => d.tickets));
  const chart = (
    <MonthBarChart
      title={title}
      data={rows}
      series={TICKETS}
      format={formatNumber}
      limit={limit}
      barFill={limit ? (tickets) => BAR_FILL[usageLevel(usagePercent(tickets, limit))] : undefined}
      description={(months) => {
        const latest = data[data.length - 1]!;
        return (
          `${months.length} months from ${formatPeriodLong(data[0]!.period)} to ${formatPeriodLong(latest.period)}. ` +
          `Peak ${formatNumber(peak)} tickets; latest ${formatNumber(latest.tickets)}` +
          (limit ? ` of a ${formatNumber(limit)} monthly limit.` : ".")
        );
      }}
      legend={
        limit
          ? [
              { key: "near", swatch: <span className="size-2.5 rounded-sm bg-amber-600" />, label: "≥ 80% of limit" },
              { key: "over", swatch: <span className="size-2.5 rounded-sm bg-red-600" />, label: "At or over limit" },
              {
                key: "limit",
                swatch: <span className="w-4 border-t-2 border-dashed border-red-600" />,
                label: `Limit ${formatNumber(limit)}`,
              },
            ]
          : []
      }
      extraColumn={
        limit
          ? { label: "Share of limit", value: (row) => `${usagePercent(row.values.tickets ?? 0, limit)}%` }
          : undefined
      }
      emptyTitle="No usage history yet"
      emptyDescription="Monthly ticket counts appear here once installations report usage."
    />
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
