import type { CustomerListItem, StatusFilter } from "@ticketzero/core/license/backoffice";
import Link from "next/link";
import { formatDate, formatNumber } from "@/components/license/format";
import { DataTable } from "@/components/ui/data-table";
import { PlanBadge, STATUS_LABELS } from "./license-status";
import { formatMoney } from "./money";

/** "2 valid · 1 trial": the statuses present, in the filter order. */
function statusSummary(statuses: CustomerListItem["statuses"]): string {
  return (Object.keys(STATUS_LABELS) as StatusFilter[])
    .filter((s) => statuses[s])
    .map((s) => `${formatNumber(statuses[s] ?? 0)} ${STATUS_LABELS[s].toLowerCase()}`)
    .join(" · ");
}

function Licenses({ item }: { item: CustomerListItem }) {
  if (item.licenses === 0) return <span className="text-slate-500">None</span>;
  return (
    <span className="flex flex-col gap-1">
      <span className="flex flex-wrap gap-1">
        {item.plans.map((plan) => (
          <PlanBadge key={plan} plan={plan} />
        ))}
      </span>
      <span className="text-xs text-slate-600">
        {formatNumber(item.licenses)} {item.licenses === 1 ? "license" : "licenses"}: {statusSummary(item.statuses)}
      </span>
    </span>
  );
}

/** The customers list: a table from lg up, cards below; each row links to the customer. */
export function CustomersTable({ items, caption }: { items: CustomerListItem[]; caption: string }) {
  return (
    <>
      <div className="hidden lg:block">
        <DataTable
          caption={caption}
          columns={[
            { label: "Customer" },
            { label: "Members", align: "right" },
            { label: "Licenses" },
            { label: "Revenue", align: "right" },
            { label: "Created" },
          ]}
        >
          {items.map((item) => (
            <tr key={item.id} className="group align-middle hover:bg-slate-50">
              <th scope="row" className="max-w-[20rem] py-3 pr-4 font-normal">
                <Link
                  href={`/staff/customers/${item.id}`}
                  className="block truncate font-medium text-slate-900 underline-offset-2 group-hover:text-brand-700 group-hover:underline"
                >
                  {item.name}
                </Link>
                <span className="block truncate text-xs text-slate-500">{item.ownerEmail ?? "No owner"}</span>
              </th>
              <td className="tabular py-3 pr-4 text-right">{formatNumber(item.members)}</td>
              <td className="py-3 pr-4">
                <Licenses item={item} />
              </td>
              <td className="tabular py-3 pr-4 text-right font-medium whitespace-nowrap">
                {formatMoney(item.revenueCents)}
              </td>
              <td className="py-3 whitespace-nowrap text-slate-700">
                <time dateTime={item.createdAt.toISOString()}>{formatDate(item.createdAt)}</time>
              </td>
            </tr>
          ))}
        </DataTable>
      </div>
      <ul className="space-y-3 lg:hidden" aria-label={caption}>
        {items.map((item) => (
          <li key={item.id}>
            <Link
              href={`/staff/customers/${item.id}`}
              className="block rounded-xl p-4 ring-1 ring-slate-200 transition-colors hover:bg-slate-50"
            >
              <div className="flex items-start justify-between gap-3">
                <div className="min-w-0">
                  <p className="truncate font-medium text-slate-900">{item.name}</p>
                  <p className="truncate text-xs text-slate-500">{item.ownerEmail ?? "No owner"}</p>
                </div>
                <span className="tabular shrink-0 text-sm font-semibold">{formatMoney(item.revenueCents)}</span>
              </div>
              <div className="mt-3 text-sm">
                <Licenses item={item} />
              </div>
              <p className="mt-2 text-xs text-slate-600">
                {formatNumber(item.members)} {item.members === 1 ? "member" : "members"} · since{" "}
                <time dateTime={item.createdAt.toISOString()}>{formatDate(item.createdAt)}</time>
              </p>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
