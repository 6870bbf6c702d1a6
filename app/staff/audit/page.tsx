import { auditActions, auditLog } from "@ticketzero/core/license/backoffice";
import type { Metadata } from "next";
import { formatNumber } from "@/components/license/format";
import { AuditTable } from "@/components/staff/audit-table";
import { ExportLink } from "@/components/staff/export-link";
import { Pagination } from "@/components/staff/pagination";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Label } from "@/components/ui/field";
import { requireStaff } from "@/lib/auth/staff";

export const metadata: Metadata = { title: "Audit log" };

type Search = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

export default async function StaffAuditPage({ searchParams }: { searchParams: Search }) {
  await requireStaff("/staff/audit");
  const params = await searchParams;
  const actions = await auditActions();
  const action = actions.includes(one(params.action)) ? one(params.action) : "";
  const log = await auditLog({ action: action || null, page: Number(one(params.page)) || 1, pageSize: 50 });
  const hrefFor = (p: number) => {
    const sp = new URLSearchParams();
    if (action) sp.set("action", action);
    if (p > 1) sp.set("page", String(p));
    const s = sp.toString();
    return s ? `/staff/audit?${s}` : "/staff/audit";
  };

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold sm:text-3xl">Audit log</h1>
          <p className="mt-1 text-slate-600">
            Every change and every refused activation, by whom and when. Keys appear masked only.
          </p>
        </div>
        <ExportLink kind="audit" params={{ action }} label={action ? "Export these (CSV)" : "Export CSV"} />
      </div>
      <Card padding="sm" className="sm:p-5">
        <form
          method="get"
          action="/staff/audit"
          className="flex flex-wrap items-end gap-3"
          aria-label="Filter the audit log"
        >
          <div className="w-full space-y-1.5 sm:w-72">
            <Label htmlFor="action">Action</Label>
            <select
              id="action"
              name="action"
              defaultValue={action}
              className="block h-11 w-full rounded-lg bg-white px-3 text-base text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus-visible:outline-2 focus-visible:outline-offset-0 focus-visible:outline-brand-600 sm:h-10 sm:text-sm"
            >
              <option value="">All actions</option>
              {actions.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit">Filter</Button>
          {action ? (
            <Button href="/staff/audit" variant="ghost">
              Clear
            </Button>
          ) : null}
        </form>
      </Card>
      <Card as="section" aria-labelledby="log-heading">
        <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="log-heading" className="text-base font-semibold">
            {action ? (
              <>
                Events: <code className="font-mono text-sm">{action}</code>
              </>
            ) : (
              "All events"
            )}
          </h2>
          <p className="tabular text-sm text-slate-600" role="status">
            {formatNumber(log.total)} {log.total === 1 ? "event" : "events"}
          </p>
        </div>
        <AuditTable items={log.items} caption="Audit events, newest first" />
        <Pagination page={log.page} pageCount={log.pageCount} hrefFor={hrefFor} label="Audit log pages" />
      </Card>
    </div>
  );
}
