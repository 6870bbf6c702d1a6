import { auditLog, expiringSoon, overviewFigures } from "@ticketzero/core/license/backoffice";
import { PLAN_IDS, PLANS } from "@ticketzero/core/license/plans";
import { daysRemaining } from "@ticketzero/core/license/status";
import type { Metadata } from "next";
import Link from "next/link";
import { formatDate, formatNumber } from "@/components/license/format";
import { AuditTable } from "@/components/staff/audit-table";
import { BarList, formatCompact, MonthBarChart } from "@/components/staff/bar-chart";
import { KpiCard } from "@/components/staff/kpi-card";
import { PlanBadge } from "@/components/staff/license-status";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import {
  ChartIcon,
  CheckCircleIcon,
  ClockIcon,
  KeyIcon,
  PlusIcon,
  SparkIcon,
  WarningIcon,
} from "@/components/ui/icons";
import { requireStaff } from "@/lib/auth/staff";

export const metadata: Metadata = { title: "Overview" };

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const usdCompact = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  notation: "compact",
  maximumFractionDigits: 1,
});
const cents = (c: number) => usd.format(c / 100);
const centsAxis = (c: number) => usdCompact.format(c / 100);
const percent = (r: number) => `${Math.round(r * 1000) / 10}%`;

const PLAN_FILL = {
  trial: "fill-sky-500",
  starter: "fill-slate-500",
  professional: "fill-brand-600",
  enterprise: "fill-emerald-600",
} as const;

export default async function StaffOverviewPage() {
  await requireStaff("/staff");
  const now = new Date();
  const [f, recent, expiring] = await Promise.all([
    overviewFigures(now),
    auditLog({ pageSize: 8, withTotal: false }),
    expiringSoon(now, 6),
  ]);

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold sm:text-3xl">Overview</h1>
          <p className="mt-1 text-slate-600">
            Revenue, licenses and usage across every customer. Months are UTC.
            {f.asOf ? ` Counted at ${f.asOf.toISOString().slice(11, 16)} UTC (refreshed every 5 minutes).` : ""}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button href="/staff/licenses" variant="secondary">
            Find a license
          </Button>
          <Button href="/staff/licenses/new" icon={<PlusIcon />}>
            Issue license
          </Button>
        </div>
      </div>

      <section aria-labelledby="kpi-heading">
        <h2 id="kpi-heading" className="sr-only">
          Key figures
        </h2>
        <div className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-5">
          <KpiCard
            className="col-span-2 lg:col-span-1"
            label="ARR"
            value={cents(f.arrCents)}
            hint={`${formatNumber(f.activePaid)} active paid licenses at list price`}
            icon={<ChartIcon />}
          />
          <KpiCard
            label="Active licenses"
            value={formatNumber(f.activeLicenses)}
            hint={`${formatNumber(f.activePaid)} paid · ${formatNumber(f.trialsActive)} trials · ${formatNumber(f.activationsTotal)} installations`}
            icon={<KeyIcon />}
            href="/staff/licenses?status=valid"
          />
          <KpiCard
            label="Trials active"
            value={formatNumber(f.trialsActive)}
            hint={`${percent(f.conversion.rate)} of ${formatNumber(f.conversion.trials)} trial emails converted`}
            icon={<SparkIcon />}
            href="/staff/licenses?status=trial"
          />
          <KpiCard
            label="Expiring in 30 days"
            value={formatNumber(f.expiringIn30Days)}
            hint="Paid licenses due for renewal"
            icon={<WarningIcon />}
            tone={f.expiringIn30Days > 0 ? "warning" : "default"}
            href="/staff/licenses?status=expiring_soon"
          />
          <KpiCard
            label="Tickets this month"
            value={formatNumber(f.ticketsThisMonth)}
            hint="Reported by all installations"
            icon={<CheckCircleIcon />}
          />
        </div>
      </section>

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <Card as="section" aria-labelledby="revenue-heading" className="lg:col-span-2">
          <CardHeader
            id="revenue-heading"
            title="Revenue by month"
            description={`${cents(f.revenueLast12Cents)} from ${formatNumber(f.paymentsLast12)} payments in the last 12 months`}
          />
          <MonthBarChart
            title="Revenue by month, last 12 months"
            data={f.revenueByMonth.map((m) => ({ period: m.period, values: { revenue: m.value } }))}
            series={[{ key: "revenue", label: "Revenue", fill: "fill-brand-500", swatch: "bg-brand-500" }]}
            format={cents}
            formatAxis={centsAxis}
            emptyTitle="No payments yet"
            emptyDescription="Paid checkouts (Stripe or test mode) appear here by month."
          />
        </Card>
        <Card as="section" aria-labelledby="plans-heading">
          <CardHeader id="plans-heading" title="Active licenses by plan" description="Active and not expired" />
          <BarList
            title="Active licenses by plan"
            items={PLAN_IDS.map((id) => ({
              key: id,
              label: PLANS[id].name,
              value: f.activeByPlan[id],
              fill: PLAN_FILL[id],
              hint:
                id === "trial" || f.activeByPlan[id] === 0
                  ? undefined
                  : `${centsAxis(f.activeByPlan[id] * PLANS[id].priceCents)} ARR`,
            }))}
            format={formatNumber}
          />
          <dl className="mt-6 grid grid-cols-2 gap-3 border-t border-slate-100 pt-4 text-sm">
            <div>
              <dt className="text-xs text-slate-500">Trial → paid</dt>
              <dd className="tabular font-semibold text-slate-900">
                {formatNumber(f.conversion.converted)} of {formatNumber(f.conversion.trials)}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Conversion</dt>
              <dd className="tabular font-semibold text-slate-900">{percent(f.conversion.rate)}</dd>
            </div>
          </dl>
        </Card>
      </div>

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card as="section" aria-labelledby="tickets-heading">
          <CardHeader id="tickets-heading" title="Tickets by month" description="Summed over every license" />
          <MonthBarChart
            title="Tickets processed by month, all licenses"
            data={f.ticketsByMonth.map((m) => ({ period: m.period, values: { tickets: m.value } }))}
            series={[{ key: "tickets", label: "Tickets", fill: "fill-emerald-600", swatch: "bg-emerald-600" }]}
            format={formatNumber}
            formatAxis={formatCompact}
            emptyTitle="No usage reported yet"
          />
        </Card>
        <Card as="section" aria-labelledby="new-heading">
          <CardHeader id="new-heading" title="New licenses by month" description="Issued trials and paid licenses" />
          <MonthBarChart
            title="New licenses by month: trials and paid"
            data={f.newByMonth.map((m) => ({ period: m.period, values: { paid: m.paid, trials: m.trials } }))}
            series={[
              { key: "paid", label: "Paid", fill: "fill-brand-600", swatch: "bg-brand-600" },
              { key: "trials", label: "Trials", fill: "fill-sky-400", swatch: "bg-sky-400" },
            ]}
            format={formatNumber}
            emptyTitle="No licenses issued yet"
          />
        </Card>
      </div>

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-5">
        <Card as="section" aria-labelledby="expiring-heading" className="lg:col-span-2">
          <CardHeader
            id="expiring-heading"
            title="Up for renewal"
            description="Paid licenses ending in the next 30 days"
            action={
              f.expiringIn30Days > expiring.length ? (
                <Button href="/staff/licenses?status=expiring_soon" variant="ghost" size="sm">
                  All {f.expiringIn30Days}
                </Button>
              ) : null
            }
          />
          {expiring.length === 0 ? (
            <EmptyState
              icon={<ClockIcon />}
              title="Nothing due"
              description="No paid license ends in the next 30 days."
            />
          ) : (
            <ul className="divide-y divide-slate-100">
              {expiring.map((l) => {
                const days = daysRemaining(l.expiresAt, now);
                return (
                  <li key={l.id} className="flex items-center justify-between gap-3 py-3">
                    <div className="min-w-0">
                      <Link
                        href={`/staff/licenses/${l.id}`}
                        className="block truncate text-sm font-medium text-slate-900 underline-offset-2 hover:text-brand-700 hover:underline"
                      >
                        {l.company || l.email}
                      </Link>
                      <p className="truncate text-xs text-slate-500">
                        <span className="font-mono">{l.keyMasked}</span> · {formatDate(l.expiresAt)}
                      </p>
                    </div>
                    <div className="flex shrink-0 items-center gap-2">
                      <PlanBadge plan={l.plan} />
                      <span className="tabular w-16 text-right text-sm font-semibold text-amber-800">
                        {days} {days === 1 ? "day" : "days"}
                      </span>
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
        <Card as="section" aria-labelledby="recent-heading" className="lg:col-span-3">
          <CardHeader
            id="recent-heading"
            title="Recent activity"
            description="The latest audit events"
            action={
              <Button href="/staff/audit" variant="ghost" size="sm">
                Full audit log
              </Button>
            }
          />
          <AuditTable items={recent.items} caption="Recent audit events" now={now} compact />
        </Card>
      </div>
    </div>
  );
}
