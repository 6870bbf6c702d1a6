import { WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_EVENT_TYPES } from "@ticketzero/core/license/webhook-events";
import type { DayOutcome } from "@ticketzero/core/license/webhooks";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import type { EventGroup } from "./webhook-forms";

const GROUP_NAMES: Record<string, string> = {
  license: "License",
  trial: "Trial",
  activation: "Activation",
  usage: "Usage",
};

/** The event types grouped by their prefix, with what each means (the endpoint form). */
export function eventGroups(): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  for (const type of WEBHOOK_EVENT_TYPES) {
    const prefix = type.split(".")[0]!;
    const group = groups.get(prefix) ?? { name: GROUP_NAMES[prefix] ?? prefix, events: [] };
    group.events.push({ type, description: WEBHOOK_EVENT_DESCRIPTIONS[type] });
    groups.set(prefix, group);
  }
  return [...groups.values()];
}

const STATUS_TONES: Record<string, BadgeTone> = {
  delivered: "success",
  pending: "info",
  failed: "danger",
  cancelled: "neutral",
};

/** A delivery's status; a pending one that has been tried is "retrying". */
export function DeliveryStatusBadge({ status, attempts = 0 }: { status: string; attempts?: number }) {
  const label = status === "pending" && attempts > 0 ? "retrying" : status;
  return (
    <Badge tone={status === "pending" && attempts > 0 ? "warning" : (STATUS_TONES[status] ?? "neutral")}>{label}</Badge>
  );
}

/** An endpoint's state: enabled, or disabled (with why, for screen readers and on hover). */
export function EndpointStateBadge({ enabled, reason }: { enabled: boolean; reason: string | null }) {
  return enabled ? (
    <Badge tone="success">Enabled</Badge>
  ) : (
    <span title={reason ?? undefined}>
      <Badge tone="danger">Disabled</Badge>
    </span>
  );
}

/** Deliveries per day by outcome: stacked bars, with the same figures as a table for screen readers. */
export function OutcomeChart({ days }: { days: DayOutcome[] }) {
  const max = Math.max(1, ...days.map((d) => d.delivered + d.failed + d.pending));
  const total = days.reduce((n, d) => n + d.delivered + d.failed + d.pending, 0);
  return (
    <figure className="m-0">
      <div className="flex h-28 items-end gap-1" aria-hidden="true">
        {days.map((d) => {
          const h = (n: number) => `${(n / max) * 100}%`;
          return (
            <div
              key={d.day}
              className="flex h-full flex-1 flex-col justify-end"
              title={`${d.day}: ${d.delivered} delivered, ${d.failed} not delivered, ${d.pending} pending`}
            >
              <div className="rounded-t-sm bg-sky-300" style={{ height: h(d.pending) }} />
              <div className="bg-red-400" style={{ height: h(d.failed) }} />
              <div className="rounded-b-sm bg-emerald-500" style={{ height: h(d.delivered) }} />
            </div>
          );
        })}
      </div>
      <figcaption className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">
        <span>
          Last {days.length} days · {total} deliveries
        </span>
        <span className="flex items-center gap-1">
          <span className="size-2.5 rounded-sm bg-emerald-500" aria-hidden="true" /> delivered
        </span>
        <span className="flex items-center gap-1">
          <span className="size-2.5 rounded-sm bg-red-400" aria-hidden="true" /> failed or cancelled
        </span>
        <span className="flex items-center gap-1">
          <span className="size-2.5 rounded-sm bg-sky-300" aria-hidden="true" /> pending
        </span>
      </figcaption>
      {/* In a div: a table ignores sr-only's 1 px width and would widen the page. */}
      <div className="sr-only">
        <table>
          <caption>Deliveries per day by outcome</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Delivered</th>
              <th scope="col">Failed or cancelled</th>
              <th scope="col">Pending</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                <td>{d.delivered}</td>
                <td>{d.failed}</td>
                <td>{d.pending}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
