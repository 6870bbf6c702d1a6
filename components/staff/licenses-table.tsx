import type { LicenseListItem } from "@ticketzero/core/license/backoffice";
import Link from "next/link";
import { formatDate } from "@/components/license/format";
import { cn } from "@/components/ui/cn";
import { DataTable } from "@/components/ui/data-table";
import { LicenseStatusPill, PlanBadge } from "./license-status";

function Activations({ item }: { item: LicenseListItem }) {
  const full = item.activationCount >= item.maxActivations;
  return (
    <span className={cn("tabular", full ? "font-semibold text-amber-800" : "text-slate-700")}>
      {item.activationCount}
      <span className="text-slate-400"> / </span>
      {item.maxActivations}
      {full ? <span className="sr-only"> (all used)</span> : null}
    </span>
  );
}

/** The license list: a table from md up, cards on phones; each row links to the license. */
export function LicensesTable({ items, caption }: { items: LicenseListItem[]; caption: string }) {
  return (
    <>
      <div className="hidden overflow-x-auto md:block">
        <DataTable
          caption={caption}
          columns={[
            { label: "Customer" },
            { label: "Plan" },
            { label: "Status" },
            { label: "Key" },
            { label: "Expires" },
            { label: "Activations", align: "right" },
          ]}
        >
          {items.map((item) => (
            <tr key={item.id} className="group relative align-middle hover:bg-slate-50">
              <th scope="row" className="max-w-[18rem] py-3 pr-4 font-normal">
                <Link
                  href={`/staff/licenses/${item.id}`}
                  className="block max-w-[18rem] truncate font-medium text-slate-900 underline-offset-2 group-hover:text-brand-700 group-hover:underline"
                >
                  {item.email}
                </Link>
                {/* The cap is on the content: a table cell's max-width does not bind in automatic layout. */}
                <span className="block max-w-[18rem] truncate text-xs text-slate-500">
                  {item.company || "No company"}
                </span>
              </th>
              <td className="py-3 pr-4">
                <PlanBadge plan={item.plan} />
              </td>
              <td className="py-3 pr-4">
                <LicenseStatusPill status={item.status} state={item.state} />
              </td>
              <td className="py-3 pr-4 font-mono text-xs whitespace-nowrap text-slate-600">{item.keyMasked}</td>
              <td className="py-3 pr-4 whitespace-nowrap text-slate-700">
                <time dateTime={item.expiresAt.toISOString()}>{formatDate(item.expiresAt)}</time>
              </td>
              <td className="py-3 text-right">
                <Activations item={item} />
              </td>
            </tr>
          ))}
        </DataTable>
      </div>
      <ul className="space-y-3 md:hidden" aria-label={caption}>
        {items.map((item) => (
          <li key={item.id}>
            <Link
              href={`/staff/licenses/${item.id}`}
              className="block rounded-xl p-4 ring-1 ring-slate-200 transition-colors hover:bg-slate-50"
            >
              <div className="flex items-start justify-between gap-3">
                <div className="min-w-0">
                  <p className="truncate font-medium text-slate-900">{item.email}</p>
                  <p className="truncate text-xs text-slate-500">{item.company || "No company"}</p>
                </div>
                <PlanBadge plan={item.plan} />
              </div>
              <div className="mt-3 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm">
                <LicenseStatusPill status={item.status} state={item.state} />
                <span className="text-slate-600">
                  Expires <time dateTime={item.expiresAt.toISOString()}>{formatDate(item.expiresAt)}</time>
                </span>
              </div>
              <div className="mt-2 flex items-center justify-between text-xs text-slate-600">
                <span className="font-mono">{item.keyMasked}</span>
                <span>
                  <Activations item={item} /> activations
                </span>
              </div>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
