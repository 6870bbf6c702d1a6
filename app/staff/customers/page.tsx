import { listCustomers, PAGE_SIZE } from "@ticketzero/core/license/backoffice";
import type { Metadata } from "next";
import { formatNumber } from "@/components/license/format";
import { CustomersTable } from "@/components/staff/customers-table";
import { ExportLink } from "@/components/staff/export-link";
import { Pagination } from "@/components/staff/pagination";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Label } from "@/components/ui/field";
import { ShieldIcon } from "@/components/ui/icons";
import { requireStaff } from "@/lib/auth/staff";

export const metadata: Metadata = { title: "Customers" };

type Search = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

export default async function StaffCustomersPage({ searchParams }: { searchParams: Search }) {
  await requireStaff("/staff/customers");
  const params = await searchParams;
  const q = one(params.q).trim().slice(0, 200);
  const result = await listCustomers({ q, page: Number(one(params.page)) || 1 });
  const hrefFor = (p: number) => {
    const sp = new URLSearchParams();
    if (q) sp.set("q", q);
    if (p > 1) sp.set("page", String(p));
    const s = sp.toString();
    return s ? `/staff/customers?${s}` : "/staff/customers";
  };
  const from = (result.page - 1) * PAGE_SIZE + 1;
  const to = from + result.items.length - 1;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold sm:text-3xl">Customers</h1>
          <p className="mt-1 text-slate-600">
            One row per customer account (team): its members, licenses and what it has paid.
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <ExportLink kind="customers" params={{ q }} label={q ? "Export these (CSV)" : "Export CSV"} />
          <ExportLink kind="payments" label="Export payments" />
        </div>
      </div>

      <Card padding="sm" className="sm:p-5">
        <search aria-label="Customers">
          <form method="get" action="/staff/customers" className="flex flex-col gap-3 sm:flex-row sm:items-end">
            <div className="flex-1 space-y-1.5">
              <Label htmlFor="q">Search</Label>
              <Input
                id="q"
                name="q"
                type="search"
                defaultValue={q}
                maxLength={200}
                placeholder="Account name, member or license email"
                autoComplete="off"
                spellCheck={false}
              />
            </div>
            <div className="flex gap-2">
              <Button type="submit" className="flex-1">
                Search
              </Button>
              {q ? (
                <Button href="/staff/customers" variant="ghost" aria-label="Clear search">
                  Clear
                </Button>
              ) : null}
            </div>
          </form>
        </search>
      </Card>

      <p className="text-sm text-slate-600">
        Public trials wait on no account until their email’s owner claims them:{" "}
        <a
          href="/staff/licenses?unclaimed=1"
          className="font-medium text-brand-700 underline underline-offset-2 hover:text-brand-800"
        >
          unclaimed licenses
        </a>
        .
      </p>

      <Card as="section" aria-labelledby="customers-heading">
        <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="customers-heading" className="text-base font-semibold">
            {q ? "Matching customers" : "All customers"}
          </h2>
          <p className="tabular text-sm text-slate-600" role="status">
            {result.total === 0
              ? "No customers"
              : `${formatNumber(from)}–${formatNumber(to)} of ${formatNumber(result.total)}`}
          </p>
        </div>
        {result.items.length === 0 ? (
          <EmptyState
            icon={<ShieldIcon />}
            title={q ? "No customer matches" : "No customers yet"}
            description={
              q
                ? "Check the spelling or search by a member’s email."
                : "An account appears when someone signs in, buys, or is issued a license."
            }
            action={
              q ? (
                <Button href="/staff/customers" variant="secondary">
                  Clear search
                </Button>
              ) : null
            }
          />
        ) : (
          <>
            <CustomersTable items={result.items} caption="Customers, newest first" />
            <Pagination page={result.page} pageCount={result.pageCount} hrefFor={hrefFor} label="Customer pages" />
          </>
        )}
      </Card>
    </div>
  );
}
