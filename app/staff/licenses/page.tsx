import { isStatusFilter, PAGE_SIZE, STATUS_FILTERS, searchLicenses } from "@ticketzero/core/license/backoffice";
import { isPlanId, PLAN_IDS, PLANS } from "@ticketzero/core/license/plans";
import type { Metadata } from "next";
import { formatNumber } from "@/components/license/format";
import { ExportLink } from "@/components/staff/export-link";
import { STATUS_LABELS } from "@/components/staff/license-status";
import { LicensesTable } from "@/components/staff/licenses-table";
import { Pagination } from "@/components/staff/pagination";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Label } from "@/components/ui/field";
import { KeyIcon, PlusIcon } from "@/components/ui/icons";
import { requireStaff } from "@/lib/auth/staff";

export const metadata: Metadata = { title: "Licenses" };

type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

const SELECT =
  "block h-11 w-full rounded-lg bg-white px-3 text-base text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus-visible:outline-2 focus-visible:outline-offset-0 focus-visible:outline-brand-600 sm:h-10 sm:text-sm";

export default async function StaffLicensesPage({ searchParams }: { searchParams: Search }) {
  await requireStaff("/staff/licenses");
  const params = await searchParams;
  const q = one(params.q).slice(0, 200);
  const plan = isPlanId(one(params.plan)) ? one(params.plan) : "";
  const status = isStatusFilter(one(params.status)) ? one(params.status) : "";
  const unclaimed = one(params.unclaimed) === "1";
  const page = Number(one(params.page)) || 1;
  const result = await searchLicenses({ q, plan, status, unclaimed, page });
  const filtered = Boolean(q || plan || status || unclaimed);
  const filters = { q, plan, status, unclaimed: unclaimed ? "1" : "" };

  const hrefFor = (p: number) => {
    const sp = new URLSearchParams();
    if (q) sp.set("q", q);
    if (plan) sp.set("plan", plan);
    if (status) sp.set("status", status);
    if (unclaimed) sp.set("unclaimed", "1");
    if (p > 1) sp.set("page", String(p));
    const s = sp.toString();
    return s ? `/staff/licenses?${s}` : "/staff/licenses";
  };
  const from = (result.page - 1) * PAGE_SIZE + 1;
  const to = from + result.items.length - 1;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold sm:text-3xl">Licenses</h1>
          <p className="mt-1 text-slate-600">
            Every license. Search by email, company, a full key, or a key’s last group (e.g. 2YPY).
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <ExportLink kind="licenses" params={filters} label={filtered ? "Export these (CSV)" : "Export CSV"} />
          <Button href="/staff/licenses/new" icon={<PlusIcon />}>
            Issue license
          </Button>
        </div>
      </div>

      <Card padding="sm" className="sm:p-5">
        <search aria-label="Licenses">
          <p id="q-hint" className="sr-only">
            A full key is matched by its hash; otherwise the last group of a key (as the masked key shows it), or text
            in the email or company.
          </p>
          <form method="get" action="/staff/licenses" className="grid gap-3 sm:grid-cols-12 sm:items-end">
            <div className="space-y-1.5 sm:col-span-12 lg:col-span-4">
              <Label htmlFor="q">Search</Label>
              <Input
                id="q"
                name="q"
                type="search"
                defaultValue={q}
                maxLength={200}
                placeholder="Email, company, key or its last 4 (2YPY)"
                aria-describedby="q-hint"
                autoComplete="off"
                spellCheck={false}
              />
            </div>
            <div className="space-y-1.5 sm:col-span-4 lg:col-span-2">
              <Label htmlFor="plan">Plan</Label>
              <select id="plan" name="plan" defaultValue={plan} className={SELECT}>
                <option value="">All plans</option>
                {PLAN_IDS.map((id) => (
                  <option key={id} value={id}>
                    {PLANS[id].name}
                  </option>
                ))}
              </select>
            </div>
            <div className="space-y-1.5 sm:col-span-4 lg:col-span-2">
              <Label htmlFor="status">Status</Label>
              <select id="status" name="status" defaultValue={status} className={SELECT}>
                <option value="">Any status</option>
                {STATUS_FILTERS.map((s) => (
                  <option key={s} value={s}>
                    {STATUS_LABELS[s]}
                  </option>
                ))}
              </select>
            </div>
            <div className="space-y-1.5 sm:col-span-4 lg:col-span-2">
              <Label htmlFor="unclaimed">Account</Label>
              <select id="unclaimed" name="unclaimed" defaultValue={unclaimed ? "1" : ""} className={SELECT}>
                <option value="">Any account</option>
                <option value="1">Unclaimed (no account yet)</option>
              </select>
            </div>
            <div className="flex gap-2 sm:col-span-12 lg:col-span-2">
              <Button type="submit" className="flex-1">
                Search
              </Button>
              {filtered ? (
                <Button href="/staff/licenses" variant="ghost" aria-label="Clear search and filters">
                  Clear
                </Button>
              ) : null}
            </div>
          </form>
        </search>
      </Card>

      {result.notice ? (
        <Alert tone="info" title="Keys are matched whole">
          {result.notice}
        </Alert>
      ) : null}

      <Card as="section" aria-labelledby="results-heading">
        <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="results-heading" className="text-base font-semibold">
            {result.matchedBy === "key"
              ? "License with that key"
              : unclaimed
                ? "Unclaimed licenses (waiting for their email’s owner)"
                : filtered
                  ? "Matching licenses"
                  : "All licenses"}
          </h2>
          <p className="tabular text-sm text-slate-600" role="status">
            {result.total === 0
              ? "No licenses"
              : `${formatNumber(from)}–${formatNumber(to)} of ${formatNumber(result.total)}`}
          </p>
        </div>
        {result.items.length === 0 ? (
          <EmptyState
            icon={<KeyIcon />}
            title={filtered ? "No license matches" : "No licenses yet"}
            description={
              filtered
                ? "Check the spelling, paste the whole key, or clear the filters."
                : "Licenses appear here as customers buy, start trials, or you issue them."
            }
            action={
              filtered ? (
                <Button href="/staff/licenses" variant="secondary">
                  Clear filters
                </Button>
              ) : null
            }
          />
        ) : (
          <>
            <LicensesTable items={result.items} caption="Licenses, newest first" />
            <Pagination page={result.page} pageCount={result.pageCount} hrefFor={hrefFor} label="License pages" />
          </>
        )}
      </Card>
    </div>
  );
}
