/**
 * Outbound webhook endpoints (docs/VENDOR-API.md §3): what the back office
 * (and the staff API) does with them. Every change is audited
 * (`webhook.endpoint_created`, …: internal actions, never event types).
 *
 * - The signing secret (`whsec_` + base64 of 32 random bytes) is returned
 *   once, on create and rotate, and stored only as the vault's ciphertext.
 * - URLs pass the SSRF policy (server/outbound-http.ts) when saved; the
 *   delivery job checks them again at every attempt.
 * - Signing follows Standard Webhooks: `v1,` + base64 HMAC-SHA256 of
 *   `${id}.${timestamp}.${body}` with the secret's bytes.
 *
 * The events themselves are written by license/webhook-events.ts (the
 * outbox); license/webhook-delivery.ts sends them.
 */
import { createHmac, randomBytes } from "node:crypto";
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { type DbOrTx, getDb } from "../db/client";
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from "../db/schema";
import { config } from "../server/config";
import { type OutboundPolicy, resolveTarget } from "../server/outbound-http";
import { type Context, recordAudit } from "./audit";
import { parse } from "./backoffice";
import { LicenseError } from "./errors";
import { decryptKey, encryptKey } from "./vault";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_NOTIFY_CHANNEL, type WebhookEventType } from "./webhook-events";

export const WEBHOOK_SECRET_PREFIX = "whsec_";
export const WEBHOOK_USER_AGENT = "TicketZero-Webhooks/1";

// ---------------------------------------------------------------- signing

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

/** The Standard Webhooks signature header value for one attempt. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/**
 * The headers of one attempt; `body` is the payload exactly as stored. Several secrets (the new
 * and, for a while after a rotation, the old) give several space-separated signatures: a receiver
 * accepts the request when any one verifies.
 */
export function webhookHeaders(secrets: string | string[], id: string, body: string, at: Date): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    "content-type": "application/json",
    "user-agent": WEBHOOK_USER_AGENT,
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": (Array.isArray(secrets) ? secrets : [secrets])
      .map((secret) => signWebhook(secret, id, timestamp, body))
      .join(" "),
  };
}

/** How long the old secret still signs after a rotation, so receivers can switch without failures. */
export const SECRET_ROTATION_GRACE_MS = 24 * 3_600_000;

/** The secrets that sign now: the current one, and the previous one during its grace. */
export function signingSecrets(
  endpoint: {
    secret_ciphertext: string;
    previous_secret_ciphertext: string | null;
    previous_secret_expires_at: string | Date | null;
  },
  now: Date,
): string[] {
  const secrets = [openSecret(endpoint.secret_ciphertext)];
  const until = endpoint.previous_secret_expires_at ? new Date(endpoint.previous_secret_expires_at) : null;
  if (endpoint.previous_secret_ciphertext && until && until > now) {
    secrets.push(openSecret(endpoint.previous_secret_ciphertext));
  }
  return secrets;
}

/** The endpoint's secret, opened for signing (never logged, never returned but on create/rotate). */
export const openSecret = (ciphertext: string) => decryptKey(ciphertext);

/** The policy from the configuration (WEBHOOK_ALLOW_PRIVATE_TARGETS). */
export const outboundPolicy = (): OutboundPolicy => ({ allowPrivate: config().webhooks.allowPrivateTargets });

// ---------------------------------------------------------------- validation

const LABELS: Record<string, string> = {
  url: "URL",
  description: "Description",
  events: "Events",
  enabled: "Enabled",
};

const checkbox = z.preprocess((v) => v === true || v === "true" || v === "on" || v === "yes" || v === "1", z.boolean());

const endpointSchema = z.object({
  url: z.string({ error: "Enter the endpoint's URL." }).trim().min(1, "Enter the endpoint's URL.").max(2048),
  description: z
    .string()
    .trim()
    .max(500, "Keep it to 500 characters.")
    .nullish()
    .transform((v) => v ?? ""),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { error: "Choose events from the list." }), {
      error: "Choose at least one event.",
    })
    .min(1, "Choose at least one event.")
    .transform((events) => WEBHOOK_EVENT_TYPES.filter((t) => events.includes(t))),
  enabled: checkbox.default(true),
});

export type EndpointInput = { url: unknown; description?: unknown; events: unknown; enabled?: unknown };

/** Validates the form and the URL's policy (resolving its host now). */
async function validEndpoint(input: EndpointInput) {
  const data = parse(endpointSchema, input, LABELS);
  try {
    const target = await resolveTarget(data.url, outboundPolicy());
    return { ...data, url: target.url.toString() };
  } catch (error) {
    if (error instanceof LicenseError) {
      throw new LicenseError(error.code, error.message, { details: { url: error.message } });
    }
    throw error;
  }
}

const uuid = z.uuid();
function endpointId(id: unknown): string {
  if (!uuid.safeParse(id).success) throw new LicenseError("NOT_FOUND", "No such webhook endpoint.");
  return id as string;
}

// ---------------------------------------------------------------- endpoints

export type WebhookEndpoint = {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  disabledAt: Date | null;
  disabledReason: string | null;
  failingSince: Date | null;
};

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  events: webhookEndpoints.events,
  enabled: webhookEndpoints.enabled,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
  disabledAt: webhookEndpoints.disabledAt,
  disabledReason: webhookEndpoints.disabledReason,
  failingSince: webhookEndpoints.failingSince,
};

const asEndpoint = (row: Omit<WebhookEndpoint, "events"> & { events: string[] }): WebhookEndpoint => ({
  ...row,
  events: row.events.filter((e): e is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e)),
});

async function lockEndpoint(tx: DbOrTx, id: string) {
  const [row] = await tx
    .select({ ...endpointColumns, secretCiphertext: webhookEndpoints.secretCiphertext })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, endpointId(id)))
    .for("update");
  if (!row) throw new LicenseError("NOT_FOUND", "No such webhook endpoint.");
  return row;
}

/** Cancels an endpoint's pending deliveries (disabled or deleted: nothing more is sent). */
export async function cancelPending(db: DbOrTx, endpointId: string): Promise<number> {
  const rows = await db
    .update(webhookDeliveries)
    .set({ status: "cancelled" })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, "pending")))
    .returning({ id: webhookDeliveries.id });
  return rows.length;
}

const auditDetail = (row: { id: string; url: string; events: string[]; enabled: boolean }) => ({
  endpointId: row.id,
  url: row.url,
  events: row.events,
  enabled: row.enabled,
});

/** Registers an endpoint. The secret is returned here and never again. */
export async function createEndpoint(
  input: EndpointInput,
  ctx: Context,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const data = await validEndpoint(input);
  const secret = newWebhookSecret();
  const now = ctx.now ?? new Date();
  return getDb().transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        url: data.url,
        description: data.description,
        events: data.events,
        enabled: data.enabled,
        secretCiphertext: encryptKey(secret),
        createdBy: ctx.accountId ?? (ctx.actor.startsWith("staff:") ? ctx.actor.slice(6) : null),
        createdAt: now,
        updatedAt: now,
      })
      .returning(endpointColumns);
    await recordAudit(tx, ctx, { action: "webhook.endpoint_created", detail: auditDetail(row!) });
    return { endpoint: asEndpoint(row!), secret };
  });
}

/** Changes the URL, description, events and enabled flag. */
export async function updateEndpoint(id: string, input: EndpointInput, ctx: Context): Promise<WebhookEndpoint> {
  const data = await validEndpoint(input);
  return getDb().transaction(async (tx) => {
    const before = await lockEndpoint(tx, id);
    const row = await writeEnabled(tx, before, data.enabled, ctx, {
      url: data.url,
      description: data.description,
      events: data.events,
    });
    await recordAudit(tx, ctx, {
      action: "webhook.endpoint_updated",
      detail: { ...auditDetail(row), from: { url: before.url, events: before.events, enabled: before.enabled } },
    });
    return row;
  });
}

type Locked = Awaited<ReturnType<typeof lockEndpoint>>;

/** Writes the enabled flag (and other fields): disabling cancels what is pending; enabling clears the failure. */
async function writeEnabled(
  tx: DbOrTx,
  before: Locked,
  enabled: boolean,
  ctx: Context,
  fields: Partial<{ url: string; description: string; events: string[] }> = {},
): Promise<WebhookEndpoint> {
  const now = ctx.now ?? new Date();
  const change =
    enabled === before.enabled
      ? {}
      : enabled
        ? { enabled: true, disabledAt: null, disabledReason: null, failingSince: null }
        : { enabled: false, disabledAt: now, disabledReason: "Disabled by staff." };
  const [row] = await tx
    .update(webhookEndpoints)
    .set({ ...fields, ...change, updatedAt: now })
    .where(eq(webhookEndpoints.id, before.id))
    .returning(endpointColumns);
  if (!enabled && before.enabled) await cancelPending(tx, before.id);
  return asEndpoint(row!);
}

/** Enables or disables an endpoint. Re-enabling clears the failure it was disabled for. */
export async function setEndpointEnabled(id: string, enabled: boolean, ctx: Context): Promise<WebhookEndpoint> {
  return getDb().transaction(async (tx) => {
    const before = await lockEndpoint(tx, id);
    const row = await writeEnabled(tx, before, enabled, ctx);
    if (enabled !== before.enabled) {
      await recordAudit(tx, ctx, {
        action: enabled ? "webhook.endpoint_enabled" : "webhook.endpoint_disabled",
        detail: { endpointId: row.id, url: row.url, ...(enabled ? { wasDisabledFor: before.disabledReason } : {}) },
      });
    }
    return row;
  });
}

/** A new signing secret, returned once; the old one stops signing at once. */
export async function rotateSecret(id: string, ctx: Context): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = newWebhookSecret();
  return getDb().transaction(async (tx) => {
    const before = await lockEndpoint(tx, id);
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        secretCiphertext: encryptKey(secret),
        // The old secret keeps signing for a day, beside the new one.
        previousSecretCiphertext: sql`${webhookEndpoints.secretCiphertext}`,
        previousSecretExpiresAt: new Date((ctx.now ?? new Date()).getTime() + SECRET_ROTATION_GRACE_MS),
        updatedAt: ctx.now ?? new Date(),
      })
      .where(eq(webhookEndpoints.id, before.id))
      .returning(endpointColumns);
    await recordAudit(tx, ctx, {
      action: "webhook.secret_rotated",
      detail: { endpointId: before.id, url: before.url },
    });
    return { endpoint: asEndpoint(row!), secret };
  });
}

/** Deletes an endpoint with its deliveries and attempts (nothing pending is sent). */
export async function deleteEndpoint(id: string, ctx: Context): Promise<void> {
  await getDb().transaction(async (tx) => {
    const before = await lockEndpoint(tx, id);
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, before.id));
    await recordAudit(tx, ctx, { action: "webhook.endpoint_deleted", detail: auditDetail(before) });
  });
}

export type EndpointHealth = WebhookEndpoint & {
  lastDelivery: { status: string; at: Date; statusCode: number | null } | null;
  pending: number;
};

/** Every endpoint with its health: the last delivery attempted, pending count, failing since. */
export async function listEndpoints(): Promise<EndpointHealth[]> {
  const rows = await getDb()
    .select({
      ...endpointColumns,
      lastStatus: sql<string | null>`last.status`,
      lastAt: sql<string | null>`last.at`,
      lastCode: sql<number | null>`last.code`,
      pending: sql<number>`(select count(*)::int from webhook_deliveries p
                              where p.endpoint_id = ${webhookEndpoints.id} and p.status = 'pending')`,
    })
    .from(webhookEndpoints)
    .leftJoin(
      sql`lateral (select d.status, d.last_attempt_at as at, d.last_status_code as code
                     from webhook_deliveries d
                    where d.endpoint_id = ${webhookEndpoints.id} and d.last_attempt_at is not null
                    order by d.last_attempt_at desc limit 1) last`,
      sql`true`,
    )
    .orderBy(desc(webhookEndpoints.createdAt));
  return rows.map(({ lastStatus, lastAt, lastCode, pending, ...row }) => ({
    ...asEndpoint(row),
    lastDelivery: lastStatus && lastAt ? { status: lastStatus, at: new Date(lastAt), statusCode: lastCode } : null,
    pending,
  }));
}

/** One endpoint (no secret), or null. */
export async function getEndpoint(id: string): Promise<WebhookEndpoint | null> {
  if (!uuid.safeParse(id).success) return null;
  const [row] = await getDb().select(endpointColumns).from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row ? asEndpoint(row) : null;
}

// ---------------------------------------------------------------- the delivery log

export type DeliveryLogItem = {
  id: number;
  eventId: string;
  type: string;
  keyMasked: string | null;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  createdAt: Date;
  replayOf: number | null;
  /** The body as sent (keys masked: events never carry a key). */
  payload: string;
};

export const DELIVERY_PAGE_SIZE = 25;

/** An endpoint's deliveries, newest first; `before` (a delivery id) pages on (keyset). */
export async function endpointDeliveries(
  id: string,
  options: { before?: number | null; limit?: number } = {},
): Promise<{ items: DeliveryLogItem[]; nextBefore: number | null }> {
  const limit = Math.max(1, Math.min(100, options.limit ?? DELIVERY_PAGE_SIZE));
  const before = Number.isSafeInteger(options.before) && options.before! > 0 ? options.before! : null;
  const rows = await getDb()
    .select({
      id: webhookDeliveries.id,
      eventId: webhookDeliveries.eventId,
      type: webhookEvents.type,
      keyMasked: sql<string | null>`${webhookEvents.payload} #>> '{data,license,keyMasked}'`,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastStatusCode: webhookDeliveries.lastStatusCode,
      lastDurationMs: webhookDeliveries.lastDurationMs,
      lastError: webhookDeliveries.lastError,
      lastAttemptAt: webhookDeliveries.lastAttemptAt,
      nextAttemptAt: webhookDeliveries.nextAttemptAt,
      deliveredAt: webhookDeliveries.deliveredAt,
      createdAt: webhookDeliveries.createdAt,
      replayOf: webhookDeliveries.replayOf,
      payload: sql<string>`${webhookEvents.payload}::text`,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.endpointId, endpointId(id)), before ? lt(webhookDeliveries.id, before) : undefined))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextBefore: rows.length > limit ? items[items.length - 1]!.id : null };
}

export type AttemptItem = {
  id: number;
  deliveryId: number;
  at: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
};

/** The attempts of some deliveries, oldest first per delivery. */
export async function deliveryAttempts(deliveryIds: number[]): Promise<AttemptItem[]> {
  if (!deliveryIds.length) return [];
  return getDb()
    .select()
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.deliveryId, deliveryIds))
    .orderBy(webhookAttempts.deliveryId, webhookAttempts.at, webhookAttempts.id);
}

export type DayOutcome = { day: string; delivered: number; failed: number; pending: number };

/** Deliveries created per UTC day over the last `days`, by outcome (the endpoint page's chart). */
export async function deliveryOutcomes(id: string, days = 14, now = new Date()): Promise<DayOutcome[]> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const rows = await getDb().execute<{ day: string; status: string; n: number }>(sql`
    select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, status, count(*)::int as n
      from webhook_deliveries
     where endpoint_id = ${endpointId(id)} and created_at >= ${since.toISOString()}::timestamptz
     group by 1, 2`);
  const out: DayOutcome[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    out.push({ day, delivered: 0, failed: 0, pending: 0 });
  }
  const byDay = new Map(out.map((d) => [d.day, d]));
  for (const row of rows) {
    const bucket = byDay.get(row.day);
    if (!bucket) continue;
    if (row.status === "delivered") bucket.delivered += row.n;
    else if (row.status === "pending") bucket.pending += row.n;
    else bucket.failed += row.n; // failed or cancelled: not delivered
  }
  return out;
}

/**
 * Sends a delivery's event again: a new pending delivery of the same event
 * (the same `webhook-id`), at the end of its stream. The endpoint must be enabled.
 */
export async function replayDelivery(deliveryId: unknown, ctx: Context): Promise<{ id: number; eventId: string }> {
  const id = Number(deliveryId);
  if (!Number.isSafeInteger(id) || id <= 0) throw new LicenseError("NOT_FOUND", "No such delivery.");
  return getDb().transaction(async (tx) => {
    const [original] = await tx
      .select({
        id: webhookDeliveries.id,
        eventId: webhookDeliveries.eventId,
        endpointId: webhookDeliveries.endpointId,
        stream: webhookDeliveries.stream,
        enabled: webhookEndpoints.enabled,
        type: webhookEvents.type,
        licenseId: webhookEvents.licenseId,
      })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
      .where(eq(webhookDeliveries.id, id))
      .for("update", { of: webhookEndpoints });
    if (!original) throw new LicenseError("NOT_FOUND", "No such delivery.");
    if (!original.enabled) {
      throw new LicenseError("CONFLICT", "This endpoint is disabled: enable it first, then replay.");
    }
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({
        eventId: original.eventId,
        endpointId: original.endpointId,
        stream: original.stream,
        replayOf: original.id,
        createdAt: ctx.now ?? new Date(),
        nextAttemptAt: ctx.now ?? new Date(),
      })
      .returning({ id: webhookDeliveries.id });
    await recordAudit(tx, ctx, {
      licenseId: original.licenseId,
      action: "webhook.delivery_replayed",
      detail: {
        endpointId: original.endpointId,
        deliveryId: original.id,
        eventId: original.eventId,
        type: original.type,
      },
    });
    await tx.execute(sql`select pg_notify(${WEBHOOK_NOTIFY_CHANNEL}, '')`);
    return { id: row!.id, eventId: original.eventId };
  });
}

// ---------------------------------------------------------------- retention

/**
 * Deletes events older than `retentionDays` that have nothing pending, with their deliveries and
 * attempts (the cascade), in bounded batches; what is left waits for the next run.
 */
export async function pruneWebhookHistory(
  now: Date = new Date(),
  retentionDays = config().webhooks.retentionDays,
  batchSize = 1_000,
  maxBatches = 20,
): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  let pruned = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await getDb().execute(sql`
      delete from webhook_events where id in (
        select e.id from webhook_events e
         where e.created_at < ${before}::timestamptz
           and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status = 'pending')
         order by e.created_at limit ${batchSize})
      returning id`);
    pruned += rows.length;
    if (rows.length < batchSize) break;
  }
  return pruned;
}
