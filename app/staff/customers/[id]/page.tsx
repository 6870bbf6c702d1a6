import { customerDetail } from "@ticketzero/core/license/backoffice";
import { ROLE_WORDS, type Role } from "@ticketzero/core/license/teams";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatDate, formatDateTime, formatNumber } from "@/components/license/format";
import { LicenseStatusPill, PlanBadge } from "@/components/staff/license-status";
import { formatMoney } from "@/components/staff/money";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { ChartIcon, KeyIcon } from "@/components/ui/icons";
import { requireStaff } from "@/lib/auth/staff";

export const metadata: Metadata = { title: "Customer" };

const roleWord = (role: string) => ROLE_WORDS[role as Role] ?? role;

export default async function StaffCustomerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireStaff(`/staff/customers/${encodeURIComponent(id)}`);
  const detail = await customerDetail(id);
  if (!detail) notFound();
  const { team, members, licenses, payments, revenueCents } = detail;
  const owner = members.find((m) => m.role === "owner");

  return (
    <div className="space-y-8">
      <div>
        <Button href="/staff/customers" variant="ghost" size="sm" className="-ml-3">
          ← All customers
        </Button>
        <h1 className="mt-2 text-2xl font-bold break-words sm:text-3xl">{team.name}</h1>
        <p className="mt-2 break-words text-slate-600">
          {owner ? <>Owner {owner.email} · </> : null}
          Customer since <time dateTime={team.createdAt.toISOString()}>{formatDate(team.createdAt)}</time>
        </p>
        <dl className="mt-5 grid grid-cols-3 gap-3 text-sm sm:max-w-lg">
          <div>
            <dt className="text-xs text-slate-500">Members</dt>
            <dd className="tabular text-lg font-semibold text-slate-900">{formatNumber(members.length)}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Licenses</dt>
            <dd className="tabular text-lg font-semibold text-slate-900">{formatNumber(licenses.length)}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Revenue</dt>
            <dd className="tabular text-lg font-semibold text-slate-900">{formatMoney(revenueCents)}</dd>
          </div>
        </dl>
      </div>

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-3">
        <Card as="section" aria-labelledby="members-heading">
          <CardHeader id="members-heading" title="Members" description="Who can see and run this account" />
          <ul className="divide-y divide-slate-100" aria-label="Members">
            {members.map((m) => (
              <li key={m.userId} className="flex items-center justify-between gap-3 py-3">
                <div className="min-w-0">
                  <p className="truncate text-sm font-medium text-slate-900" title={m.email}>
                    {m.email}
                  </p>
                  <p className="text-xs text-slate-500">
                    Joined <time dateTime={m.joinedAt.toISOString()}>{formatDate(m.joinedAt)}</time>
                  </p>
                </div>
                <Badge tone={m.role === "owner" ? "brand" : "neutral"}>{roleWord(m.role)}</Badge>
              </li>
            ))}
          </ul>
        </Card>

        <Card as="section" aria-labelledby="licenses-heading" className="lg:col-span-2">
          <CardHeader id="licenses-heading" title="Licenses" description="Every license on this account" />
          {licenses.length === 0 ? (
            <EmptyState icon={<KeyIcon />} title="No licenses" description="Nothing issued or bought yet." />
          ) : (
            <ul className="divide-y divide-slate-100" aria-label="Licenses">
              {licenses.map((l) => (
                <li
                  key={l.id}
                  className="flex flex-col gap-2 py-3 sm:flex-row sm:items-center sm:justify-between sm:gap-4"
                >
                  <div className="min-w-0">
                    <Link
                      href={`/staff/licenses/${l.id}`}
                      className="font-mono text-sm font-medium break-all text-slate-900 underline-offset-2 hover:text-brand-700 hover:underline"
                    >
                      {l.keyMasked}
                    </Link>
                    <p className="truncate text-xs text-slate-500">
                      {l.email} · expires <time dateTime={l.expiresAt.toISOString()}>{formatDate(l.expiresAt)}</time>
                    </p>
                  </div>
                  <div className="flex flex-wrap items-center gap-2">
                    <PlanBadge plan={l.plan} />
                    <LicenseStatusPill status={l.status} state={l.state} />
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>

      <Card as="section" aria-labelledby="payments-heading">
        <CardHeader
          id="payments-heading"
          title="Payments"
          description="Purchases, upgrades and renewals, newest first"
        />
        {payments.length === 0 ? (
          <EmptyState
            icon={<ChartIcon />}
            title="No payments"
            description="Issued by staff, trials, or not paid yet."
          />
        ) : (
          <>
            <div className="hidden sm:block">
              <DataTable
                caption="Payments of this customer"
                columns={[
                  { label: "Date" },
                  { label: "Kind" },
                  { label: "License" },
                  { label: "Amount", align: "right" },
                ]}
              >
                {payments.map((p) => (
                  <tr key={p.id}>
                    <td className="py-3 pr-4 whitespace-nowrap">
                      <time dateTime={p.createdAt.toISOString()} title={formatDateTime(p.createdAt)}>
                        {formatDate(p.createdAt)}
                      </time>
                    </td>
                    <td className="py-3 pr-4">
                      <span className="capitalize">{p.kind}</span>{" "}
                      {p.mode === "test" ? <Badge tone="warning">Test</Badge> : null}
                    </td>
                    <td className="py-3 pr-4">
                      <Link
                        href={`/staff/licenses/${p.licenseId}`}
                        className="font-mono text-xs text-slate-700 underline-offset-2 hover:text-brand-700 hover:underline"
                      >
                        {p.keyMasked}
                      </Link>
                    </td>
                    <td className="tabular py-3 text-right font-medium">{formatMoney(p.amountCents, p.currency)}</td>
                  </tr>
                ))}
              </DataTable>
            </div>
            <ul className="divide-y divide-slate-100 sm:hidden" aria-label="Payments of this customer">
              {payments.map((p) => (
                <li key={p.id} className="flex items-start justify-between gap-3 py-3 text-sm">
                  <div className="min-w-0">
                    <p>
                      <span className="capitalize">{p.kind}</span> ·{" "}
                      <time dateTime={p.createdAt.toISOString()}>{formatDate(p.createdAt)}</time>
                    </p>
                    <Link
                      href={`/staff/licenses/${p.licenseId}`}
                      className="font-mono text-xs break-all text-slate-600"
                    >
                      {p.keyMasked}
                    </Link>
                  </div>
                  <span className="tabular shrink-0 font-medium">{formatMoney(p.amountCents, p.currency)}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </Card>
    </div>
  );
}
