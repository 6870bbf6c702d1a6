/**
 * Heartbeats: an installation that has not checked in (`activations.last_seen_at`,
 * written by `GET /api/license-status` with its `X-Instance-Id`) for its
 * license's heartbeat window is deactivated automatically, audited, and the
 * account admin is told by mail.
 *
 * The window is `licenses.heartbeat_window_seconds`, or the certificate
 * lifetime (`CERTIFICATE_TTL_SECONDS`) when null; 0 or less exempts the
 * license. Only licenses that can run are culled (state `active`, not past
 * their expiry): a superseded, suspended, revoked or expired license's
 * installations are silent for a reason, and a mail about each would be noise.
 *
 * Exactly once, however many processes cull at once: each batch is ONE
 * statement that picks the silent rows (`for update skip locked`, so two
 * runs take disjoint rows) and deactivates them only while still active
 * (`deactivated_at is null`), returning what it deactivated. In the same
 * transaction, one `activation.culled` audit event per returned row. After the
 * commit, one mail per returned row: only the run whose statement returned a
 * row mails about it. A mail that cannot be sent is reported back
 * (`failedMails`) so the caller can retry it (the job runner queues it as a
 * retried job); the cull itself stands.
 *
 * The slot: a culled installation may still hold an unexpired offline
 * certificate (when the window is shorter than the certificate lifetime), so
 * its slot frees when that certificate expires (`slot_frees_at`), never
 * before; no swap from the license's allowance is used.
 */
import { sql } from "drizzle-orm";
import { type Db, getDb } from "../db/client";
import { auditEvents } from "../db/schema";
import { config } from "../server/config";
import { type Mail, sendMail } from "../server/mail";
import { formatDateTime } from "./format";
import { PLANS, type PlanId } from "./plans";
import { heartbeatWindowSeconds } from "./slots";
import { plural } from "./status";
import { emitForAudit } from "./webhook-events";

export type CulledInstallation = {
  activationId: string;
  licenseId: string;
  instanceId: string;
  instanceName: string | null;
  lastSeenAt: Date;
  deactivatedAt: Date;
  slotFreesAt: Date;
  windowSeconds: number;
  keyMasked: string;
  plan: string;
  /** Who is told: the account's admin (the user the license is attached to), else the license's email. */
  to: string;
  /** An air-gapped installation, deactivated because its license file expired (it never checks in). */
  licenseFileExpiredAt: Date | null;
};

export type CullOptions = {
  /** Rows per statement (and per transaction). */
  batchSize?: number;
  /** Statements per run at most; what is left waits for the next run. */
  maxBatches?: number;
  /** Only these licenses (tests, a staff action); all licenses when absent. */
  licenseIds?: string[];
  /** Send the notice mails (default true). */
  mail?: boolean;
  db?: Db;
};

export type CullRun = {
  culled: CulledInstallation[];
  /** Notice mails sent. */
  mailed: number;
  /** Notices that could not be sent this run (the caller may retry them). */
  failedMails: { installation: CulledInstallation; mail: Mail; error: string }[];
};

export const CULL_BATCH_SIZE = 500;
const DEFAULT_MAX_BATCHES = 20;

/** A license's heartbeat window in seconds, or null when it is exempt (a window of 0 or less). */
export const heartbeatWindowOf = (license: { heartbeatWindowSeconds: number | null }): number | null =>
  heartbeatWindowSeconds(license, config().certificateTtlSeconds);

/** "7 days", "36 hours", "90 minutes": the window as people read it (whole units only). */
export function describeWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, "day");
  if (seconds % 3_600 === 0) return plural(seconds / 3_600, "hour");
  if (seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

const when = formatDateTime;

/** The notice for one culled installation: masked key only, what happened, when the slot frees, what to do. */
export function culledMail(c: CulledInstallation): Mail {
  const url = config().publicUrl;
  const planName = PLANS[c.plan as PlanId]?.name ?? c.plan;
  const name = c.instanceName ? `"${c.instanceName}"` : c.instanceId;
  if (c.licenseFileExpiredAt) return expiredFileMail(c, planName, name, url);
  const window = describeWindow(c.windowSeconds);
  const slotNow = c.slotFreesAt.getTime() <= c.deactivatedAt.getTime();
  const text = [
    `The TicketZero AI installation ${name} on your ${planName} license has not checked in with the license server since ${when(c.lastSeenAt)}, more than ${window}, so it was deactivated automatically on ${when(c.deactivatedAt)}.`,
    "",
    `  License:       ${c.keyMasked}`,
    `  Plan:          ${planName}`,
    `  Installation:  ${c.instanceName ? `${c.instanceName} (${c.instanceId})` : c.instanceId}`,
    `  Last check-in: ${when(c.lastSeenAt)}`,
    `  Slot:          ${slotNow ? "free again now" : `free again on ${when(c.slotFreesAt)}, when its last offline certificate expires`}`,
    "",
    `Installations must check in at least every ${window}. If this one is still in use, it activates itself again the next time it reaches the license server, as long as a slot is free.`,
    "",
    `See your installations in the Admin Panel → License & Billing: ${url}/admin/license`,
    "",
    "You receive this mail because this address manages a TicketZero license.",
  ].join("\n");
  return {
    to: c.to,
    subject: `TicketZero: installation ${name} was deactivated after ${window} without a check-in`,
    text,
  };
}

function expiredFileMail(c: CulledInstallation, planName: string, name: string, url: string): Mail {
  const text = [
    `The license file of the air-gapped TicketZero AI installation ${name} on your ${planName} license expired on ${when(c.licenseFileExpiredAt!)}, so the installation was deactivated and its slot is free again.`,
    "",
    `  License:       ${c.keyMasked}`,
    `  Plan:          ${planName}`,
    `  Installation:  ${c.instanceName ? `${c.instanceName} (${c.instanceId})` : c.instanceId}`,
    "",
    "To keep it running, write a new request on the installation (tz-license offline-request), upload it in the Admin Panel → License & Billing → Air-gapped installations, and import the license file you get back.",
    "",
    `License & Billing: ${url}/admin/license`,
    "",
    "You receive this mail because this address manages a TicketZero license.",
  ].join("\n");
  return { to: c.to, subject: `TicketZero: the license file of installation ${name} expired`, text };
}

type Row = {
  activation_id: string;
  license_id: string;
  instance_id: string;
  instance_name: string | null;
  last_seen_at: Date | string;
  deactivated_at: Date | string;
  slot_frees_at: Date | string;
  window_seconds: number;
  key_masked: string;
  plan: string;
  recipient: string;
  kind: string;
  license_file_expires_at: Date | string | null;
};

const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/** One batch: deactivates up to `limit` silent installations and audits each, in one transaction. */
async function cullBatch(db: Db, now: Date, limit: number, licenseIds: string[] | undefined) {
  const at = sql`${now.toISOString()}::timestamptz`;
  const ttl = config().certificateTtlSeconds;
  const scope = licenseIds ? sql`and l.id = any(${`{${licenseIds.join(",")}}`}::uuid[])` : sql``;
  // The shortest window of any license (its own, or the certificate lifetime): no online
  // installation seen since `silentBefore` is due. Read first and passed as a value, so the
  // planner sees how few rows are that old and reads them by the heartbeat index.
  const [shortest] = await db.execute<{ seconds: number }>(sql`
    select least(${ttl}::int, coalesce(min(heartbeat_window_seconds), ${ttl}::int)) as seconds
      from licenses where heartbeat_window_seconds > 0`);
  const silentBefore = new Date(now.getTime() - Number(shortest?.seconds ?? ttl) * 1000).toISOString();
  return db.transaction(async (tx) => {
    // The estimates above are pessimistic (the planner cannot tell how few are silent), so a JIT
    // would compile for a big plan: more than half a second for a statement that takes a few ms.
    await tx.execute(sql`set local jit = off`);
    const rows = await tx.execute<Row>(sql`
      with due as (
        select a.id, l.id as license_id,
               coalesce(l.heartbeat_window_seconds, ${ttl}::int) as window_seconds,
               l.key_masked, l.plan,
               -- the notice goes to the team's first owner, else the license's own address
               coalesce((select u.email from team_members m join users u on u.id = m.user_id
                          where m.team_id = l.team_id and m.role = 'owner'
                          order by m.created_at limit 1), l.email) as recipient
          from activations a
          -- One lookup per candidate (offset 0 keeps it a nested loop): the planner, which cannot
          -- tell how few candidates there are, would otherwise hash every active license.
          cross join lateral (select * from licenses l0 where l0.id = a.license_id offset 0) l
         where a.deactivated_at is null
           -- Candidates by index: online ones silent for longer than the shortest window of any license
           -- (a bound on the per-license test below, so the heartbeat index is read from its old end
           -- only), and air-gapped ones whose file has expired. One OR over both kept the planner on a
           -- walk of every active installation.
           and a.id in (
             select c.id from activations c
              where c.deactivated_at is null and c.kind = 'online' and c.last_seen_at < ${silentBefore}::timestamptz
             union all
             select c.id from activations c
              where c.deactivated_at is null and c.kind = 'air_gapped' and c.license_file_expires_at < ${at}
           )
           and l.state = 'active' and l.expires_at > ${at}
           and (
             -- silent for longer than the window
             (a.kind = 'online'
              and coalesce(l.heartbeat_window_seconds, ${ttl}::int) > 0
              and a.last_seen_at < ${at} - make_interval(secs => coalesce(l.heartbeat_window_seconds, ${ttl}::int)))
             -- air-gapped installations never check in: theirs ends with their license file
             or (a.kind = 'air_gapped' and a.license_file_expires_at < ${at})
           )
           ${scope}
         order by a.last_seen_at, a.id
         limit ${limit}
           for update of a skip locked
      )
      update activations a
         set deactivated_at = ${at},
             deactivated_by = 'heartbeat',
             slot_frees_at = greatest(${at}, coalesce(a.certificate_expires_at, ${at}))
        from due
       where a.id = due.id and a.deactivated_at is null
      returning a.id as activation_id, due.license_id, a.instance_id, a.instance_name, a.last_seen_at,
                a.deactivated_at, a.slot_frees_at, due.window_seconds, due.key_masked, due.plan, due.recipient,
                a.kind, a.license_file_expires_at
    `);
    const culled: CulledInstallation[] = [...rows].map((r) => ({
      activationId: r.activation_id,
      licenseId: r.license_id,
      instanceId: r.instance_id,
      instanceName: r.instance_name,
      lastSeenAt: asDate(r.last_seen_at),
      deactivatedAt: asDate(r.deactivated_at),
      slotFreesAt: asDate(r.slot_frees_at),
      windowSeconds: Number(r.window_seconds),
      keyMasked: r.key_masked,
      plan: r.plan,
      to: r.recipient,
      licenseFileExpiredAt:
        r.kind === "air_gapped" && r.license_file_expires_at ? asDate(r.license_file_expires_at) : null,
    }));
    if (culled.length) {
      const entries = culled.map((c) => ({
        licenseId: c.licenseId,
        action: "activation.culled",
        detail: {
          instanceId: c.instanceId,
          instanceName: c.instanceName,
          lastSeenAt: c.lastSeenAt.toISOString(),
          slotFreesAt: c.slotFreesAt.toISOString(),
          windowSeconds: c.windowSeconds,
          ...(c.licenseFileExpiredAt
            ? { airGapped: true, licenseFileExpiredAt: c.licenseFileExpiredAt.toISOString() }
            : {}),
        },
      }));
      // One insert for the batch (not recordAudit's one per row), then each one's webhook event.
      await tx.insert(auditEvents).values(entries.map((entry) => ({ ...entry, actor: "system" })));
      // No license locks here: this batch holds activation rows, which activations lock after their license.
      await emitForAudit(tx, entries, now, false);
    }
    return culled;
  });
}

/**
 * Deactivates every active installation that has been silent longer than its
 * license's heartbeat window at `now`, in bounded batches; each exactly once
 * across concurrent runs, with one audit event and one notice mail each.
 */
export async function cullSilentInstallations(now: Date, opts: CullOptions = {}): Promise<CullRun> {
  const db = opts.db ?? getDb();
  const batchSize = Math.max(1, opts.batchSize ?? CULL_BATCH_SIZE);
  const maxBatches = Math.max(1, opts.maxBatches ?? DEFAULT_MAX_BATCHES);
  const result: CullRun = { culled: [], mailed: 0, failedMails: [] };
  if (opts.licenseIds && opts.licenseIds.length === 0) return result;
  for (let batch = 0; batch < maxBatches; batch++) {
    const culled = await cullBatch(db, now, batchSize, opts.licenseIds);
    result.culled.push(...culled);
    // Committed: these rows are this run's alone, so this run (and only it) mails about them.
    if (opts.mail !== false) {
      for (const installation of culled) {
        const mail = culledMail(installation);
        try {
          await sendMail(mail);
          result.mailed++;
        } catch (error) {
          result.failedMails.push({
            installation,
            mail,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    // Fewer than a full batch: nothing silent is left (rows another run holds are its to cull).
    if (culled.length < batchSize) break;
  }
  return result;
}
