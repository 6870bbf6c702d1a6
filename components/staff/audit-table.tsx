import type { AuditItem } from "@ticketzero/core/license/backoffice";
import { maskKeysIn } from "@ticketzero/core/license/keys";
import Link from "next/link";
import { formatDateTime, formatRelative } from "@/components/license/format";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { ClockIcon } from "@/components/ui/icons";

/** `{from: "active", reason: "x"}` → "from: active · reason: x" (keys stay masked). */
export function formatDetail(detail: Record<string, unknown>): string {
  const { from, to } = detail ?? {};
  if (from && to && typeof from === "object" && typeof to === "object") {
    const a = from as Record<string, unknown>;
    const b = to as Record<string, unknown>;
    const changes = Object.keys(b)
      .filter((k) => a[k] !== b[k])
      .map((k) => `${k}: ${String(a[k] ?? "—")} → ${String(b[k])}`);
    return changes.join(" · ") || "no change";
  }
  const parts = Object.entries(detail ?? {})
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  const text = parts.join(" · ").replace(/(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})[\d:.]*Z/g, "$1 $2 UTC");
  return maskKeysIn(text) || "—";
}

/** Who acted, as people read it: a token's name ("CRM sync", API token by its creator), an email, or the raw actor. */
function actorLabel(item: AuditItem): { name: string; sub: string | null } {
  const [kind] = item.actor.split(":", 1);
  if (item.actorName) {
    return { name: `“${item.actorName}”`, sub: `API token${item.actorEmail ? ` of ${item.actorEmail}` : ""}` };
  }
  return item.actorEmail ? { name: item.actorEmail, sub: kind ?? null } : { name: item.actor, sub: null };
}

function Actor({ item }: { item: AuditItem }) {
  const { name, sub } = actorLabel(item);
  return (
    <span className="block min-w-0">
      <span className="block truncate font-medium text-slate-800" title={item.actor}>
        {name}
      </span>
      {sub ? <span className="block text-xs text-slate-500">{sub}</span> : null}
    </span>
  );
}

export type AuditTableProps = {
  items: AuditItem[];
  /** Show the license column (off on a license's own page). */
  showLicense?: boolean;
  caption: string;
  now?: Date;
  /** A short list (overview): action, license, actor and time, without the detail column. */
  compact?: boolean;
};

/** Audit events: time, actor, action, license, detail. Cards on phones. */
export function AuditTable({ items, showLicense = true, caption, now = new Date(), compact = false }: AuditTableProps) {
  if (items.length === 0) {
    return <EmptyState icon={<ClockIcon />} title="No audit events" description="Changes and refusals appear here." />;
  }
  const license = (item: AuditItem) =>
    item.licenseId ? (
      <Link
        href={`/staff/licenses/${item.licenseId}`}
        className="font-mono text-xs text-brand-700 underline-offset-2 hover:underline"
      >
        {item.keyMasked ?? "deleted license"}
      </Link>
    ) : (
      <span className="text-slate-400">—</span>
    );
  if (compact) {
    return (
      <ul className="divide-y divide-slate-100" aria-label={caption}>
        {items.map((item) => (
          <li key={item.id} className="flex items-start justify-between gap-4 py-3">
            <div className="min-w-0">
              <p className="flex flex-wrap items-center gap-x-2 gap-y-1">
                {/* break-all: long action names (subscription.price_needs_review) wrap at 390 px. */}
                <code className="break-all rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-800">
                  {item.action}
                </code>
                {showLicense && item.licenseId ? license(item) : null}
              </p>
              <p className="mt-1 truncate text-xs text-slate-500" title={item.actor}>
                by {actorLabel(item).name}
              </p>
            </div>
            <time
              dateTime={item.at.toISOString()}
              title={formatDateTime(item.at)}
              className="shrink-0 text-xs whitespace-nowrap text-slate-500"
            >
              {formatRelative(item.at, now)}
            </time>
          </li>
        ))}
      </ul>
    );
  }
  return (
    <>
      <div className="hidden overflow-x-auto md:block">
        <DataTable
          caption={caption}
          columns={[
            { label: "Time" },
            { label: "Actor" },
            { label: "Action" },
            showLicense && { label: "License" },
            { label: "Detail" },
          ]}
        >
          {items.map((item) => (
            <tr key={item.id} className="align-top">
              <td className="py-3 pr-4 whitespace-nowrap text-slate-700">
                <time dateTime={item.at.toISOString()} title={formatDateTime(item.at)}>
                  {formatRelative(item.at, now)}
                </time>
              </td>
              <td className="max-w-[14rem] py-3 pr-4">
                <Actor item={item} />
              </td>
              <td className="py-3 pr-4">
                <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-800">
                  {item.action}
                </code>
              </td>
              {showLicense ? <td className="py-3 pr-4 whitespace-nowrap">{license(item)}</td> : null}
              <td className="max-w-[24rem] py-3 text-xs break-words text-slate-600">{formatDetail(item.detail)}</td>
            </tr>
          ))}
        </DataTable>
      </div>
      <ul className="space-y-3 md:hidden" aria-label={caption}>
        {items.map((item) => (
          <li key={item.id} className="rounded-xl p-4 ring-1 ring-slate-200">
            <div className="flex items-start justify-between gap-3">
              <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-800">{item.action}</code>
              <time dateTime={item.at.toISOString()} className="shrink-0 text-xs text-slate-500">
                {formatRelative(item.at, now)}
              </time>
            </div>
            <div className="mt-2 text-sm">
              <Actor item={item} />
            </div>
            {showLicense && item.licenseId ? <div className="mt-1">{license(item)}</div> : null}
            <p className="mt-2 text-xs break-words text-slate-600">{formatDetail(item.detail)}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
