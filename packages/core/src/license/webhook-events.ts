/**
 * Outbound webhook events: what the portal tells the vendor's other systems.
 *
 * Every event comes from an audited change: `recordAudit` hands each audit
 * entry to `emitForAudit`, which turns the actions below into events and writes
 * them, with one delivery per subscribed endpoint, in the same transaction as
 * the change (the outbox). A rolled-back change leaves no event; a committed
 * one is never lost. `pg_notify` in that transaction wakes the delivery job
 * (license/webhooks.ts) once it commits. Refusals (an activation refused at the
 * limit) are audited in their own write, so they are emitted there.
 */
import { randomInt } from "node:crypto";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client";
import type { AuditEntry } from "./audit";
import { CROCKFORD } from "./keys";
import type { PlanId } from "./plans";
import { classify } from "./status";

export const WEBHOOK_EVENT_TYPES = [
  "license.created",
  "license.renewed",
  "license.upgraded",
  "license.downgraded",
  "license.suspended",
  "license.reinstated",
  "license.revoked",
  "license.expired",
  "license.superseded",
  "trial.started",
  "activation.created",
  "activation.removed",
  "activation.culled",
  "activation.refused",
  "usage.near_limit",
  "usage.limit_reached",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What each event means, for the back office's endpoint form and the reference page. */
export const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  "license.created": "A license was issued: bought, issued by staff, or a trial.",
  "license.renewed": "A license's end date moved later: a paid renewal or a staff extension.",
  "license.upgraded": "A license was issued as an upgrade; the old one is superseded.",
  "license.downgraded": "A license was issued on a smaller plan at its renewal; the old one is superseded.",
  "license.suspended": "A license was suspended; installations stop.",
  "license.reinstated": "A suspended or revoked license works again.",
  "license.revoked": "A license was revoked (by staff, or a refund).",
  "license.expired": "A license reached its end date without renewal.",
  "license.superseded": "A license was replaced by an upgrade and runs out its grace period.",
  "trial.started": "A trial license was started.",
  "activation.created": "An installation took an activation slot (online or air-gapped).",
  "activation.removed": "An installation was deactivated by its admin, staff or itself.",
  "activation.culled": "A silent installation was deactivated by the heartbeat job.",
  "activation.refused": "An activation was refused because every slot is in use.",
  "usage.near_limit": "A license used 80% of its monthly tickets.",
  "usage.limit_reached": "A license used 100% of its monthly tickets.",
};

/** The payload's schema version: receivers can tell a future shape from this one. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

/** The notification channel the delivery job listens on (the payload is empty). */
export const WEBHOOK_NOTIFY_CHANNEL = "tz_webhook_events";

type Emission = { type: WebhookEventType; licenseId: string | null; data: Record<string, unknown> };

const pick = (detail: Record<string, unknown>, ...keys: string[]) =>
  Object.fromEntries(keys.filter((k) => detail[k] !== undefined).map((k) => [k, detail[k]]));

/** The new license of a plan change: an upgrade, or a downgrade that took effect at renewal. */
function replacementOf(previousLicenseId: string | null, detail: Record<string, unknown>): Emission[] {
  if (typeof detail.by !== "string") return [];
  const downgrade = typeof detail.reason === "string" && detail.reason.startsWith("downgrade");
  return [
    {
      type: downgrade ? "license.downgraded" : "license.upgraded",
      licenseId: detail.by,
      data: { previousLicenseId },
    },
  ];
}

/** The audit actions that are events, and which. Every other action is internal. */
function emissionsFor(entry: AuditEntry): Emission[] {
  const licenseId = entry.licenseId ?? null;
  const detail = entry.detail ?? {};
  const one = (type: WebhookEventType, data: Record<string, unknown> = {}): Emission[] => [{ type, licenseId, data }];
  switch (entry.action) {
    case "license.issued":
      // A plan change's new license is announced as license.upgraded / license.downgraded, not as a sale.
      if (detail.replaces) return [];
      return detail.plan === "trial" ? [...one("license.created"), ...one("trial.started")] : one("license.created");
    case "license.renewed":
    case "license.extended": // a subscription's renewal invoice, or staff moving the end date
      return one("license.renewed", pick(detail, "until"));
    case "license.suspended":
      return one("license.suspended", pick(detail, "reason"));
    case "license.reinstated":
    case "license.restored":
      return one("license.reinstated", pick(detail, "from"));
    case "license.revoked":
      return one("license.revoked", pick(detail, "reason"));
    case "license.expired":
      return one("license.expired", pick(detail, "expiredAt"));
    case "license.superseded":
      return [
        ...one("license.superseded", { ...pick(detail, "graceEndsAt"), supersededBy: detail.by }),
        ...replacementOf(licenseId, detail),
      ];
    case "license.upgrade_not_superseded": // the old license was not active: it stays as it is
      return replacementOf(licenseId, detail);
    case "activation.created":
    case "activation.reclaimed":
      // An air-gapped installation's first license file takes its slot here too (renewals do not).
      return one("activation.created", {
        kind: detail.airGapped ? "air-gapped" : "online",
        ...pick(detail, "instanceId", "instanceName"),
      });
    case "activation.removed":
      return one("activation.removed", pick(detail, "instanceId", "by", "slotFreesAt"));
    case "activation.culled":
      return one("activation.culled", pick(detail, "instanceId", "lastSeenAt"));
    case "activation.refused":
      return detail.code === "ACTIVATION_LIMIT_REACHED"
        ? one("activation.refused", { reason: detail.code, ...pick(detail, "instanceId") })
        : [];
    case "usage.near_limit":
    case "usage.limit_reached":
      return one(entry.action, pick(detail, "period", "tickets", "limit", "refused"));
    default:
      return [];
  }
}

/** `msg_` + 26 Crockford base32 characters (130 random bits): the Standard Webhooks message id. */
export function newEventId(): string {
  return `msg_${Array.from({ length: 26 }, () => CROCKFORD[randomInt(32)]).join("")}`;
}

/**
 * Claims a once-only event for a license in `reminders` (primary key license + kind): true for
 * the one caller whose row went in, or replaced one older than `since` (a new cycle). The kinds
 * are `event:…`, apart from the reminder mails' own.
 */
export async function claimOnce(db: DbOrTx, licenseId: string, kind: string, now: Date, since?: Date) {
  const rows = await db.execute(sql`
    insert into reminders (license_id, kind, sent_at) values (${licenseId}, ${kind}, ${now.toISOString()}::timestamptz)
    ${
      since
        ? sql`on conflict (license_id, kind) do update set sent_at = excluded.sent_at
                where reminders.sent_at < ${since.toISOString()}::timestamptz`
        : sql`on conflict (license_id, kind) do nothing`
    }
    returning kind`);
  return rows.length > 0;
}

/** An installation retrying at the limit is one event an hour per license, not one per retry. */
const REFUSED_EVENT_EVERY_MS = 3_600_000;

type LicenseFacts = {
  id: string;
  key_masked: string;
  plan: string;
  state: string;
  email: string;
  company: string | null;
  team_id: string | null;
  issued_at: string;
  expires_at: string;
  grace_ends_at: string | null;
  superseded_by: string | null;
  max_activations: number;
  max_clients: number;
  max_tickets_per_month: number;
};

const iso = (value: string | Date) => new Date(value).toISOString();

/** The license as every event shows it, after the change: masked key (never the key) and its status. */
function licenseView(row: LicenseFacts, now: Date) {
  const { status, code } = classify(
    {
      state: row.state,
      plan: row.plan as PlanId,
      expiresAt: new Date(row.expires_at),
      graceEndsAt: row.grace_ends_at ? new Date(row.grace_ends_at) : null,
    },
    now,
  );
  return {
    id: row.id,
    keyMasked: row.key_masked,
    plan: row.plan,
    state: row.state,
    /** What an installation is told now: valid, expiring, expired, invalid… (PRODUCT.md), with its code. */
    status,
    statusCode: code,
    email: row.email,
    company: row.company,
    teamId: row.team_id,
    issuedAt: iso(row.issued_at),
    expiresAt: iso(row.expires_at),
    graceEndsAt: row.grace_ends_at ? iso(row.grace_ends_at) : null,
    supersededBy: row.superseded_by,
    limits: {
      maxActivations: row.max_activations,
      maxClients: row.max_clients,
      maxTicketsPerMonth: row.max_tickets_per_month,
    },
  };
}

/**
 * Writes the events audit entries stand for, inside `db` (the change's own
 * transaction). Nothing is written when no enabled endpoint subscribes to the
 * type: the outbox holds what will be sent, not a second audit log.
 */
export async function emitForAudit(
  db: DbOrTx,
  entries: AuditEntry | AuditEntry[],
  now = new Date(),
  /** Lock each license (FOR SHARE) while writing its event; off for the cull, which holds activation locks. */
  lockLicenses = true,
): Promise<void> {
  const emissions = (Array.isArray(entries) ? entries : [entries]).flatMap(emissionsFor);
  if (!emissions.length) return;
  const types = [...new Set(emissions.map((e) => e.type))];
  const subscribed = await db.execute<{ type: string }>(sql`
    select distinct t.type from webhook_endpoints e,
           unnest(array[${sql.join(
             types.map((t) => sql`${t}`),
             sql`, `,
           )}]::text[]) as t(type)
     where e.enabled and e.events ? t.type`);
  const wanted = new Set([...subscribed].map((r) => r.type));
  let emitted = 0;
  for (const emission of emissions) {
    if (!wanted.has(emission.type)) continue;
    if (
      emission.type === "activation.refused" &&
      emission.licenseId &&
      !(await claimOnce(
        db,
        emission.licenseId,
        "event:activation.refused",
        now,
        new Date(now.getTime() - REFUSED_EVENT_EVERY_MS),
      ))
    ) {
      continue;
    }
    const id = newEventId();
    let license: ReturnType<typeof licenseView> | null = null;
    if (emission.licenseId) {
      // FOR SHARE waits for a change to this license that is still open (it holds the row), so the
      // event is numbered, and shows the license, after every change that committed before it.
      const [row] = await db.execute<LicenseFacts>(sql`
        select id, key_masked, plan, state, email, company, team_id, issued_at, expires_at, grace_ends_at,
               superseded_by, max_activations, max_clients, max_tickets_per_month
          from licenses where id = ${emission.licenseId}
           ${lockLicenses ? sql`for share` : sql``}`);
      license = row ? licenseView(row, now) : null;
    }
    const payload = {
      type: emission.type,
      version: WEBHOOK_PAYLOAD_VERSION,
      id,
      timestamp: now.toISOString(),
      data: { license, ...emission.data },
    };
    await db.execute(sql`
      with event as (
        insert into webhook_events (id, type, license_id, payload, created_at)
        values (${id}, ${emission.type}, ${emission.licenseId}, ${JSON.stringify(payload)}::jsonb, ${now.toISOString()}::timestamptz)
        returning id
      )
      insert into webhook_deliveries (event_id, endpoint_id, stream)
      select event.id, e.id, ${emission.licenseId ?? "-"} from event, webhook_endpoints e
       where e.enabled and e.events ? ${emission.type}
       order by e.id`);
    emitted++;
  }
  // Delivered to listeners on commit only: a rolled-back change wakes nobody.
  if (emitted) await db.execute(sql`select pg_notify(${WEBHOOK_NOTIFY_CHANNEL}, '')`);
}
