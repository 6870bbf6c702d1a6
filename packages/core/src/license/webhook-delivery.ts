/**
 * Sending the outbox (docs/VENDOR-API.md §3, "Delivery"); the job runner
 * (server/jobs.ts) calls these.
 *
 * - `scheduleDeliveries`: in ONE statement (so one transaction), marks the
 *   unscheduled deliveries `scheduled` and calls graphile-worker's `add_job`
 *   once per stream (endpoint + license), queue and job key
 *   `webhooks:<endpoint>:<stream>`. A crash cannot mark without queueing, or
 *   queue twice. The sweep (the one-minute cron) also re-queues streams whose
 *   head is overdue, in case a job was lost.
 * - `deliverStream`: the stream's pending deliveries, oldest first. The
 *   queue runs one job per stream at a time across all processes, and every
 *   write is conditional on the delivery still being pending at the same
 *   attempt count, so each attempt is made and recorded once.
 * - A failure holds the stream back (order per license) until the head is
 *   delivered or given up. Given up (the retry window from its first attempt
 *   has passed): the delivery is `failed` and the stream goes on; when nothing
 *   sent to the endpoint has succeeded for a whole window, the endpoint is
 *   disabled, its pending deliveries cancelled, staff mailed.
 */
import { sql } from "drizzle-orm";
import { getDb, quoteIdent } from "../db/client";
import { users } from "../db/schema";
import { config } from "../server/config";
import type { Mail } from "../server/mail";
import { sendMail } from "../server/mail";
import { type OutboundPolicy, postOutbound } from "../server/outbound-http";
import { recordAudit } from "./audit";
import { staffEmails } from "./backoffice";
import { cancelPending, outboundPolicy, signingSecrets, webhookHeaders } from "./webhooks";

export const DELIVER_TASK = "deliver-webhooks";
/** Graphile retries a job that threw (the database was away) this many times; the sweep covers the rest. */
const JOB_ATTEMPTS = 10;
const MAX_DELAY_MS = 12 * 3_600_000;
/** One job's share of a worker: then it re-queues itself behind the others (a slow endpoint hogs nothing). */
const RUN_BUDGET_MS = 30_000;
const RUN_MAX_DELIVERIES = 50;
/** A stream whose head has been due this long without a job taking it is re-queued by the sweep. */
const OVERDUE = "2 minutes";

export type DeliverySettings = {
  timeoutMs: number;
  retryBaseMs: number;
  retryWindowMs: number;
  policy: OutboundPolicy;
  /** The scheduling clock (tests); signatures always carry the wall-clock time receivers check. */
  now: () => Date;
  /** graphile-worker's abort signal: on shutdown the run stops and its attempt in flight is dropped. */
  signal?: AbortSignal;
  /**
   * graphile-worker's schema: the staff mails of a disabled endpoint are queued as `send-mail`
   * jobs in the transaction that disables it, so they cannot be lost. Without it (a direct call),
   * they are sent after the commit.
   */
  jobsSchema?: string;
};

export function deliverySettings(overrides: Partial<DeliverySettings> = {}): DeliverySettings {
  const c = config().webhooks;
  return {
    timeoutMs: c.timeoutMs,
    retryBaseMs: c.retryBaseSeconds * 1000,
    retryWindowMs: c.retryWindowHours * 3_600_000,
    policy: outboundPolicy(),
    now: () => new Date(),
    ...overrides,
  };
}

export const streamKey = (endpointId: string, stream: string) => `webhooks:${endpointId}:${stream}`;
/**
 * One queue per endpoint: its streams' jobs run one at a time, so a slow or dead receiver holds
 * at most one of a process's job slots, whatever its number of licenses.
 */
export const endpointQueue = (endpointId: string) => `webhooks:${endpointId}`;
/** graphile-worker takes lower numbers first: the recurring tasks (priority 0) go before deliveries. */
export const DELIVERY_PRIORITY = 10;

export type ScheduleOptions = {
  /** graphile-worker's schema. */
  jobsSchema: string;
  /** Also re-queue streams whose head is overdue (the cron's safety net). */
  sweep?: boolean;
  /** Only these endpoints (tests sharing a database); all when absent. */
  endpointIds?: string[];
};

/** Queues a job per stream with new deliveries (and, sweeping, per stalled stream); returns how many. */
export async function scheduleDeliveries(opts: ScheduleOptions): Promise<number> {
  const addJob = sql.raw(`${quoteIdent(opts.jobsSchema)}.add_job`);
  const scope = opts.endpointIds
    ? sql`and endpoint_id in (${sql.join(
        opts.endpointIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``;
  if (opts.endpointIds?.length === 0) return 0;
  const job = (mode: string) => sql`${addJob}(
        ${DELIVER_TASK},
        json_build_object('endpointId', endpoint_id, 'stream', stream),
        queue_name => 'webhooks:' || endpoint_id,
        job_key => 'webhooks:' || endpoint_id || ':' || stream,
        max_attempts => ${JOB_ATTEMPTS},
        priority => ${DELIVERY_PRIORITY},
        job_key_mode => ${mode})`;
  // Marking and queueing in one statement: both commit or neither does.
  const [queued] = await getDb().execute<{ n: number }>(sql`
    with marked as (
      update webhook_deliveries set scheduled = true
       where id in (select id from webhook_deliveries where not scheduled ${scope}
                     order by id limit 5000 for update skip locked)
      returning endpoint_id, stream, status
    ), streams as (
      -- A fixed order: two processes scheduling at once take graphile's locks in the same order.
      select distinct endpoint_id, stream from marked where status = 'pending' order by endpoint_id, stream
    )
    select count(${job("replace")})::int as n from streams`);
  let n = queued?.n ?? 0;
  if (opts.sweep) {
    // preserve_run_at: a stream waiting on its backoff keeps waiting; only a lost job is replaced.
    const [swept] = await getDb().execute<{ n: number }>(sql`
      with heads as (
        select distinct on (endpoint_id, stream) endpoint_id, stream, next_attempt_at
          from webhook_deliveries
         where status = 'pending' and scheduled ${scope}
         order by endpoint_id, stream, id
      )
      select count(${job("preserve_run_at")})::int as n from heads
       where next_attempt_at < now() - interval '${sql.raw(OVERDUE)}'`);
    n += swept?.n ?? 0;
  }
  return n;
}

/** The wait before retry n (1-based): base × 2^(n-1), capped at 12 h, ±25% jitter. */
export function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS);
  return Math.round(raw * (0.75 + random() * 0.5));
}

type Head = {
  id: number;
  event_id: string;
  attempts: number;
  next_attempt_at: string;
  first_attempt_at: string | null;
  body: string;
};

type EndpointRow = {
  id: string;
  url: string;
  enabled: boolean;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: string | null;
  failing_since: string | null;
};

export type StreamRun = {
  /** When the stream needs another run (its head's next attempt), or null: nothing pending. */
  next: Date | null;
  delivered: number;
  failedAttempts: number;
  /** The endpoint was disabled by this run (a delivery given up). */
  disabled: boolean;
  /** Staff notices that could not be sent now (the caller queues them). */
  failedMails: { mail: Mail; error: unknown }[];
};

/** Delivers one stream's due deliveries in order. */
export async function deliverStream(
  endpointId: string,
  stream: string,
  settings: DeliverySettings = deliverySettings(),
): Promise<StreamRun> {
  const db = getDb();
  const run: StreamRun = { next: null, delivered: 0, failedAttempts: 0, disabled: false, failedMails: [] };
  const started = Date.now();
  for (let i = 0; ; i++) {
    const [endpoint] = await db.execute<EndpointRow>(sql`
      select id, url, enabled, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at, failing_since
        from webhook_endpoints where id = ${endpointId}`);
    if (!endpoint) return run; // deleted: its deliveries went with it
    if (!endpoint.enabled) {
      await cancelPending(db, endpointId); // a disabled endpoint is sent nothing
      return run;
    }
    const [head] = await db.execute<Head>(sql`
      select d.id, d.event_id, d.attempts, d.next_attempt_at, e.payload::text as body,
             (select min(a.at) from webhook_attempts a where a.delivery_id = d.id) as first_attempt_at
        from webhook_deliveries d join webhook_events e on e.id = d.event_id
       where d.endpoint_id = ${endpointId} and d.stream = ${stream} and d.status = 'pending'
       order by d.id limit 1`);
    if (!head) return run;
    const now = settings.now();
    const due = new Date(head.next_attempt_at);
    if (due > now) return { ...run, next: due };
    if (i >= RUN_MAX_DELIVERIES || Date.now() - started > RUN_BUDGET_MS || settings.signal?.aborted) {
      return { ...run, next: now };
    }

    const result = await postOutbound({
      url: endpoint.url,
      headers: webhookHeaders(signingSecrets(endpoint, new Date()), head.event_id, head.body, new Date()),
      body: head.body,
      timeoutMs: settings.timeoutMs,
      policy: settings.policy,
      signal: settings.signal,
    });
    // Shutting down mid-attempt: not the receiver's failure. Nothing is recorded; the job runs again.
    if (result.aborted) return { ...run, next: now };
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const attempts = head.attempts + 1;
    const firstAt = head.first_attempt_at ? new Date(head.first_attempt_at) : now;
    const windowEnds = firstAt.getTime() + settings.retryWindowMs;
    const givenUp = !ok && now.getTime() >= windowEnds;
    // The endpoint itself is disabled only when nothing it was sent has succeeded for a whole window;
    // otherwise only this delivery is given up, and its stream goes on.
    const failingSince = endpoint.failing_since ? new Date(endpoint.failing_since) : now;
    const endpointDead = givenUp && now.getTime() - failingSince.getTime() >= settings.retryWindowMs;
    // The last retry lands at the window's end, not past it.
    const nextAt = new Date(Math.min(now.getTime() + retryDelayMs(attempts, settings.retryBaseMs), windowEnds));
    const error = result.error ?? (ok ? null : `HTTP ${result.statusCode}`);
    const status = ok ? "delivered" : givenUp ? "failed" : "pending";

    const disabledEndpoint = await db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into webhook_attempts (delivery_id, at, status_code, duration_ms, error, response_excerpt)
        values (${head.id}, ${now.toISOString()}::timestamptz, ${result.statusCode}, ${result.durationMs},
                ${error}, ${result.responseExcerpt})`);
      const updated = await tx.execute(sql`
        update webhook_deliveries
           set attempts = ${attempts}, status = ${status}, last_attempt_at = ${now.toISOString()}::timestamptz,
               last_status_code = ${result.statusCode}, last_duration_ms = ${result.durationMs},
               last_error = ${error},
               delivered_at = ${ok ? now.toISOString() : null}::timestamptz,
               next_attempt_at = ${ok || givenUp ? now.toISOString() : nextAt.toISOString()}::timestamptz
         where id = ${head.id} and status = 'pending' and attempts = ${head.attempts}
        returning id`);
      if (!updated.length) return false; // changed meanwhile (cancelled): nothing more to write
      if (ok) {
        await tx.execute(sql`update webhook_endpoints set failing_since = null
                              where id = ${endpointId} and failing_since is not null`);
        return false;
      }
      await tx.execute(sql`update webhook_endpoints set failing_since = ${now.toISOString()}::timestamptz
                            where id = ${endpointId} and failing_since is null`);
      if (!endpointDead) return false;
      const reason = `Deliveries failed for ${Math.round(settings.retryWindowMs / 3_600_000)} h without a success (last: ${error}); disabled automatically.`;
      const disabled = await tx.execute<{ url: string }>(sql`
        update webhook_endpoints
           set enabled = false, disabled_at = ${now.toISOString()}::timestamptz, disabled_reason = ${reason},
               updated_at = ${now.toISOString()}::timestamptz
         where id = ${endpointId} and enabled
        returning url`);
      if (!disabled.length) return false;
      if (settings.jobsSchema) {
        const addJob = sql.raw(`${quoteIdent(settings.jobsSchema)}.add_job`);
        for (const to of await staffRecipients()) {
          const mail = disabledMail(endpoint, error, firstAt)(to);
          await tx.execute(sql`select ${addJob}('send-mail', ${JSON.stringify(mail)}::json, max_attempts => 10)`);
        }
      }
      const cancelled = await cancelPending(tx, endpointId);
      await recordAudit(
        tx,
        { actor: "system", now },
        {
          action: "webhook.endpoint_disabled",
          detail: { endpointId, url: endpoint.url, reason, failedDelivery: head.id, eventId: head.event_id, cancelled },
        },
      );
      return true;
    });

    if (ok) {
      run.delivered++;
      continue;
    }
    run.failedAttempts++;
    if (!disabledEndpoint) {
      if (givenUp) continue; // this one is failed for good: the stream's next delivery goes on
      return { ...run, next: nextAt };
    }
    run.disabled = true;
    if (!settings.jobsSchema) run.failedMails = await mailStaff(disabledMail(endpoint, error, firstAt));
    return run;
  }
}

function disabledMail(endpoint: EndpointRow, error: string | null, since: Date) {
  const link = `${config().publicUrl}/staff/webhooks/${endpoint.id}`;
  // The origin only: a receiver's path or query often carries its own token.
  const where = new URL(endpoint.url).origin;
  return (to: string): Mail => ({
    to,
    subject: "Webhook endpoint disabled after repeated failures",
    text: [
      `The TicketZero License Portal disabled the webhook endpoint at ${where}.`,
      "",
      `Its deliveries have failed since ${since.toISOString()} without a success for the whole retry window; the last error was: ${error ?? "unknown"}.`,
      "Its pending deliveries were cancelled. Nothing more is sent until staff re-enable it.",
      "",
      `Review the delivery log and re-enable it: ${link}`,
    ].join("\n"),
  });
}

/** The back office's people: STAFF_EMAILS and users marked staff. */
async function staffRecipients(): Promise<string[]> {
  const marked = await getDb()
    .select({ email: users.email })
    .from(users)
    .where(sql`${users.isStaff} and ${users.email} is not null`);
  return [...new Set([...staffEmails(), ...marked.map((u) => u.email!.toLowerCase())])].sort();
}

async function mailStaff(mailFor: (to: string) => Mail): Promise<{ mail: Mail; error: unknown }[]> {
  const failed: { mail: Mail; error: unknown }[] = [];
  for (const to of await staffRecipients()) {
    const mail = mailFor(to);
    try {
      await sendMail(mail);
    } catch (error) {
      failed.push({ mail, error });
    }
  }
  return failed;
}
