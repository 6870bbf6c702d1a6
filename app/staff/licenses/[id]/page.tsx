import { licenseDetail, type StatusFilter } from "@ticketzero/core/license/backoffice";
import { isPlanId, PLANS } from "@ticketzero/core/license/plans";
import { config } from "@ticketzero/core/server/config";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AirGappedPanel } from "@/components/license/air-gapped-panel";
import { formatDate, formatDateTime, formatNumber } from "@/components/license/format";
import { heartbeatWords, installationRows } from "@/components/license/installation-rows";
import { InstallationsTable } from "@/components/license/installations-table";
import { UsageHistoryChart } from "@/components/license/usage-history-chart";
import { AuditTable } from "@/components/staff/audit-table";
import { ExtendForm } from "@/components/staff/extend-form";
import { LicenseStatusPill, PlanBadge } from "@/components/staff/license-status";
import { LimitsForm } from "@/components/staff/limits-form";
import { StateActions } from "@/components/staff/state-actions";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { ChartIcon } from "@/components/ui/icons";
import { UsageBar } from "@/components/ui/progress";
import { requireStaff } from "@/lib/auth/staff";
import { licenseFileHref } from "@/lib/next/air-gapped";
import {
  changeStateAction,
  extendAction,
  setLimitsAction,
  staffDeactivateAction,
  staffDeactivationCodeAction,
  staffLicenseFileAction,
  staffReleaseSlotAction,
} from "../../_lib/actions";

export const metadata: Metadata = { title: "License" };

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });

function backofficeStatus(state: string, code: string, status: string): StatusFilter {
  if (state === "revoked") return "revoked";
  if (state === "suspended") return "suspended";
  if (code === "LICENSE_EXPIRED" || code === "LICENSE_SUPERSEDED") return "expired";
  return status as StatusFilter;
}

export default async function StaffLicensePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireStaff(`/staff/licenses/${encodeURIComponent(id)}`);
  const detail = await licenseDetail(id);
  if (!detail) notFound();
  const { license, status, installations, usage, payments, audit, accountEmail } = detail;
  const now = new Date();
  const plan = isPlanId(license.plan) ? PLANS[license.plan] : null;
  const bstatus = backofficeStatus(license.state, status.code, status.status);
  const custom =
    plan &&
    (license.maxClients !== plan.limits.maxClients ||
      license.maxTicketsPerMonth !== plan.limits.maxTicketsPerMonth ||
      license.maxActivations !== plan.limits.maxActivations);
  const expired = license.expiresAt <= now;
  const ticketsThisMonth = status.usage?.ticketsThisMonth ?? 0;

  return (
    <div className="space-y-8">
      <div>
        <Button href="/staff/licenses" variant="ghost" size="sm" className="-ml-3">
          ← All licenses
        </Button>
        <div className="mt-2 flex flex-wrap items-center gap-3">
          <h1 className="font-mono text-xl font-bold break-all sm:text-2xl">{license.keyMasked}</h1>
          <PlanBadge plan={license.plan} />
          <LicenseStatusPill status={bstatus} state={license.state} size="md" />
          {custom ? <Badge tone="warning">Custom limits</Badge> : null}
        </div>
        <p className="mt-2 text-slate-600">
          {license.company ? <span className="font-medium text-slate-800">{license.company}</span> : null}
          {license.company ? " · " : null}
          {license.email}
          {accountEmail && accountEmail !== license.email ? ` · account ${accountEmail}` : null}
          {!license.teamId ? " · on no account yet (waiting to be claimed)" : null}
        </p>
      </div>

      {status.warnings.length ? (
        <ul className="space-y-2" aria-label="Warnings">
          {status.warnings.map((w) => (
            <li key={w.code}>
              <Alert tone="warning" announce="none">
                {w.message} <code className="ml-1 font-mono text-xs opacity-80">{w.code}</code>
              </Alert>
            </li>
          ))}
        </ul>
      ) : null}

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card as="section" aria-labelledby="status-heading">
            <CardHeader id="status-heading" title="Status" description={status.message} />
            <dl className="grid grid-cols-2 gap-x-6 gap-y-4 text-sm sm:grid-cols-3">
              <div>
                <dt className="text-xs text-slate-500">State</dt>
                <dd className="font-medium text-slate-900 capitalize">{license.state}</dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Status code</dt>
                <dd>
                  <code className="font-mono text-xs text-slate-800">{status.code}</code>
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Days remaining</dt>
                <dd className="tabular font-medium text-slate-900">{status.license?.daysRemaining ?? 0}</dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Issued</dt>
                <dd className="text-slate-800">
                  <time dateTime={license.issuedAt.toISOString()}>{formatDate(license.issuedAt)}</time>
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Expires</dt>
                <dd className="text-slate-800">
                  <time dateTime={license.expiresAt.toISOString()}>{formatDate(license.expiresAt)}</time>
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Subscription</dt>
                <dd className="text-slate-800">
                  {license.stripeSubscriptionId
                    ? license.cancelAtPeriodEnd
                      ? "Cancels at period end"
                      : "Renews automatically"
                    : "None"}
                </dd>
              </div>
            </dl>
            <div className="mt-6 grid gap-5 border-t border-slate-100 pt-5 sm:grid-cols-3">
              <UsageBar label="Tickets this month" used={ticketsThisMonth} limit={license.maxTicketsPerMonth} />
              <UsageBar label="Clients" used={status.usage?.clients ?? 0} limit={license.maxClients} />
              <UsageBar label="Activations" used={installations.length} limit={license.maxActivations} />
            </div>
          </Card>

          <Card as="section" aria-labelledby="limits-heading">
            <CardHeader
              id="limits-heading"
              title="Limits"
              description={
                plan
                  ? `Custom enterprise limits for this license only; the ${plan.name} plan and other customers are unchanged.`
                  : undefined
              }
              action={custom ? <Badge tone="warning">Custom</Badge> : <Badge>Plan defaults</Badge>}
            />
            <LimitsForm
              action={setLimitsAction.bind(null, license.id)}
              current={{
                maxClients: license.maxClients,
                maxTicketsPerMonth: license.maxTicketsPerMonth,
                maxActivations: license.maxActivations,
              }}
              planDefaults={plan?.limits ?? license}
              activations={status.slots?.used ?? installations.length}
              churn={{
                swapsPer30Days: license.swapsPer30Days,
                heartbeatWindowDays:
                  license.heartbeatWindowSeconds === null ? null : Math.round(license.heartbeatWindowSeconds / 86_400),
                defaultHeartbeatDays: Math.round(config().certificateTtlSeconds / 86_400),
              }}
            />
          </Card>
        </div>

        <Card as="section" aria-labelledby="actions-heading" className="lg:sticky lg:top-24">
          <CardHeader id="actions-heading" title="Actions" description="Every change is recorded in the audit log." />
          <div className="space-y-6">
            <ExtendForm action={extendAction.bind(null, license.id)} expired={expired} />
            <StateActions action={changeStateAction.bind(null, license.id)} state={license.state} />
            {license.state === "superseded" ? (
              <p className="text-xs text-slate-500">This license was replaced by an upgrade; it can only be revoked.</p>
            ) : null}
          </div>
        </Card>
      </div>

      <InstallationsTable
        installations={installationRows(installations, (instanceId) => licenseFileHref(license.id, instanceId))}
        maxActivations={license.maxActivations}
        slots={status.slots}
        heartbeatWindow={heartbeatWords(license)}
        deactivateAction={staffDeactivateAction.bind(null, license.id)}
        releaseAction={staffReleaseSlotAction.bind(null, license.id)}
        now={now}
      />

      <AirGappedPanel
        audience="staff"
        issueAction={staffLicenseFileAction.bind(null, license.id)}
        deactivateAction={staffDeactivationCodeAction.bind(null, license.id)}
      />

      <div className="grid grid-cols-1 items-start gap-6">
        <UsageHistoryChart data={usage} limit={license.maxTicketsPerMonth} />

        <Card as="section" aria-labelledby="payments-heading">
          <CardHeader id="payments-heading" title="Payments" description="Purchases and renewals of this license" />
          {payments.length === 0 ? (
            <EmptyState
              icon={<ChartIcon />}
              title="No payments"
              description="Issued by staff, a trial, or not paid yet."
            />
          ) : (
            <div className="overflow-x-auto">
              <DataTable
                caption="Payments for this license"
                columns={[{ label: "Date" }, { label: "Kind" }, { label: "Plan" }, { label: "Amount", align: "right" }]}
              >
                {payments.map((p) => (
                  <tr key={p.checkoutSessionId}>
                    <td className="py-3 pr-4 whitespace-nowrap">
                      <time dateTime={p.createdAt.toISOString()} title={formatDateTime(p.createdAt)}>
                        {formatDate(p.createdAt)}
                      </time>
                    </td>
                    <td className="py-3 pr-4">
                      <span className="block capitalize">{p.kind}</span>
                      <span className="flex items-center gap-1.5">
                        <code
                          className="max-w-[10rem] truncate font-mono text-xs text-slate-500"
                          title={p.checkoutSessionId}
                        >
                          {p.checkoutSessionId}
                        </code>
                        {p.mode === "test" ? <Badge tone="warning">Test</Badge> : null}
                      </span>
                    </td>
                    <td className="py-3 pr-4">
                      <PlanBadge plan={p.plan} />
                    </td>
                    <td className="tabular py-3 text-right font-medium">
                      {p.currency.toLowerCase() === "usd"
                        ? usd.format(p.amountCents / 100)
                        : `${formatNumber(p.amountCents / 100)} ${p.currency.toUpperCase()}`}
                    </td>
                  </tr>
                ))}
              </DataTable>
            </div>
          )}
        </Card>
      </div>

      <Card as="section" aria-labelledby="audit-heading">
        <CardHeader
          id="audit-heading"
          title="Audit log"
          description="Everything that happened to this license, newest first"
        />
        <AuditTable items={audit} showLicense={false} caption="Audit events for this license" now={now} />
      </Card>
    </div>
  );
}
