/**
 * The status of a license, as installations and people see it. The hot path
 * (`statusByKey`) answers from this process's status cache (status-cache.ts)
 * when it can; otherwise it is one SQL statement: the license by its indexed
 * key hash, this month's tickets, its slots and clients, this installation's
 * activation, the key that replaced it, and, at most once a minute per
 * installation, its check-in time. Both ways build the answer from the same
 * row, so they cannot answer differently.
 */
import { sql } from "drizzle-orm";
import { getDb, getSql } from "../db/client";
import { config } from "../server/config";
import { slotFactsSqlFor } from "./activations";
import { signCertificate } from "./certificate";
import { LicenseError } from "./errors";
import { parseKey } from "./keys";
import { factsOf, installationsOf, type LicenseRow } from "./licenses";
import { isPaidPlanId, PLANS, type PlanId } from "./plans";
import { type SlotFactsRow, SWAP_WINDOW_DAYS, slotFactsJoin, slotFactsOf, slotSummary } from "./slots";
import { computeStatus, effectiveEnd, type LicenseFacts, notFoundStatus, usagePeriod } from "./status";
import * as statusCache from "./status-cache";
import { type AccessibleLicense, licensesOfUser, type Role, roleAtLeast } from "./teams";
import type { LicenseStatusBody, Replacement } from "./types";
import { hashKey } from "./vault";

type StatusRow = SlotFactsRow & {
  id: string;
  plan: string;
  state: string;
  key_masked: string;
  max_clients: number;
  max_tickets_per_month: number;
  max_activations: number;
  swaps_per_30_days: number | null;
  heartbeat_window_seconds: number | null;
  features: string[];
  issued_at: Date | string;
  expires_at: Date | string;
  grace_ends_at: Date | string | null;
  cancel_at_period_end: boolean;
  tickets: number;
  activated_at: Date | string | null;
  my_clients: number | null;
  certificate_expires_at: Date | string | null;
  last_seen_at: Date | string | null;
  replacement_key: string | null;
  replacement_plan: string | null;
  deactivated_by: string | null;
};

const asDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function factsFromRow(row: StatusRow): LicenseFacts {
  return {
    id: row.id,
    plan: row.plan as PlanId,
    state: row.state,
    keyMasked: row.key_masked,
    maxClients: row.max_clients,
    maxTicketsPerMonth: row.max_tickets_per_month,
    maxActivations: row.max_activations,
    features: row.features,
    issuedAt: asDate(row.issued_at),
    expiresAt: asDate(row.expires_at),
    graceEndsAt: row.grace_ends_at ? asDate(row.grace_ends_at) : null,
    cancelAtPeriodEnd: row.cancel_at_period_end,
  };
}

function replacementOf(license: LicenseFacts, key: string | null, plan: string | null): Replacement | null {
  if (license.state !== "superseded" || !key || !plan) return null;
  return {
    key,
    plan: plan as PlanId,
    planName: PLANS[plan as PlanId]?.name ?? plan,
    graceEndsAt: effectiveEnd(license).toISOString(),
  };
}

/** A certificate as signed for one installation: reused while nothing it states has changed. */
export type IssuedCertificate = { token: string; iat: number; exp: number; status: string };

/**
 * Signs the offline certificate for an activated installation of a usable
 * license. It names that installation and never outlives the license nor
 * the installation's recorded `certificate_expires_at` (which deactivation
 * reads to know how long the installation can still run).
 *
 * `previous`, the certificate last given to this installation from the
 * status cache, is given again while it states the same (same expiry, same
 * status; the rest is the cached license's, dropped with it) and is younger
 * than the check-in interval: a certificate is signed about once a minute
 * per installation, not once per request, and its `iat` is at most that old.
 */
export function withCertificate(
  body: LicenseStatusBody,
  license: LicenseFacts,
  instanceId: string,
  certificateExpiresAt: Date,
  now: Date,
  previous?: IssuedCertificate | null,
): IssuedCertificate | null {
  if (!body.valid || !body.activation) return null;
  const iat = Math.floor(now.getTime() / 1000);
  const exp = Math.min(
    Math.floor(certificateExpiresAt.getTime() / 1000),
    Math.floor(effectiveEnd(license).getTime() / 1000),
  );
  if (exp <= iat) return null;
  if (
    previous &&
    previous.exp === exp &&
    previous.status === body.status &&
    iat - previous.iat < config().checkInWriteSeconds
  ) {
    body.certificate = previous.token;
    return previous;
  }
  body.certificate = signCertificate({
    iss: "ticketzero-license-portal",
    sub: license.id,
    lid: license.id,
    plan: license.plan,
    features: license.features,
    limits: body.limits!,
    instanceId,
    status: body.status,
    iat,
    exp,
  });
  return { token: body.certificate, iat, exp, status: body.status };
}

/**
 * Raw SQL run as a named prepared statement: one round trip per request (an
 * unprepared query costs postgres.js a second one to describe its parameters).
 * $1 key hash, $2 now, $3 instance id, $4 check-in write threshold, $5 period,
 * $6 certificate lifetime in seconds, $7 the certificate expiry below which it is extended.
 *
 * At most once per check-in interval an active installation's check-in is
 * written, and with it how long its certificates may now last; between
 * writes, certificates reuse the stored expiry, so none outlives it.
 */
const STATUS_QUERY = `
  with l as (select * from licenses where key_hash = $1),
  touched as (
    update activations a
      set last_seen_at = $2::timestamptz,
          certificate_expires_at = greatest(a.certificate_expires_at, $2::timestamptz + make_interval(secs => $6::int))
    from l
    where a.license_id = l.id and a.instance_id = $3::text and a.deactivated_at is null and a.kind = 'online'
      and (a.last_seen_at < $4::timestamptz or a.certificate_expires_at is null or a.certificate_expires_at < $7::timestamptz)
    returning a.certificate_expires_at, a.last_seen_at
  ),
  mine as (
    select a.activated_at, a.clients, a.certificate_expires_at, a.last_seen_at, a.deactivated_at, a.deactivated_by
    from activations a, l
    -- an air-gapped installation is licensed by its file alone: no online certificate, no check-in
    where a.license_id = l.id and a.instance_id = $3::text and a.kind = 'online'
  )
  select l.id, l.plan, l.state, l.key_masked, l.max_clients, l.max_tickets_per_month, l.max_activations,
    l.swaps_per_30_days, l.heartbeat_window_seconds,
    l.features, l.issued_at, l.expires_at, l.grace_ends_at, l.cancel_at_period_end,
    coalesce((select u.tickets from usage_months u where u.license_id = l.id and u.period = $5), 0) as tickets,
    slot_facts.*, swap_facts.*,
    case when mine.deactivated_at is null then mine.activated_at end as activated_at,
    mine.clients as my_clients, mine.deactivated_by,
    coalesce((select t.certificate_expires_at from touched t), mine.certificate_expires_at) as certificate_expires_at,
    coalesce((select t.last_seen_at from touched t), mine.last_seen_at) as last_seen_at,
    r.key_masked as replacement_key, r.plan as replacement_plan
  from l
  ${slotFactsJoin("l.id", "$2::timestamptz", "coalesce(l.heartbeat_window_seconds, $6::int)")}
  left join mine on true
  left join licenses r on r.id = l.superseded_by`;

/** An installation's own columns of the status row; the rest are the license's. */
const INSTALLATION_COLUMNS = [
  "activated_at",
  "my_clients",
  "certificate_expires_at",
  "last_seen_at",
  "deactivated_by",
] as const;
type InstallationColumns = Pick<StatusRow, (typeof INSTALLATION_COLUMNS)[number]>;
type LicenseColumns = Omit<StatusRow, (typeof INSTALLATION_COLUMNS)[number]>;
const NO_INSTALLATION: InstallationColumns = {
  activated_at: null,
  my_clients: null,
  certificate_expires_at: null,
  last_seen_at: null,
  deactivated_by: null,
};
/** What the cache keeps of an activated installation. */
type CachedInstallation = {
  row: InstallationColumns;
  certificate: IssuedCertificate | null;
  /** The last answer from memory, given again for up to ANSWER_REUSE_MS (frozen: callers share it). */
  answer?: { body: LicenseStatusBody; from: number; until: number };
};

/**
 * An activated installation's answer from memory is computed at most once a second: the same
 * facts give the same answer, but for what moves with the clock (days remaining, an expiry
 * falling due), which may thus be a second late — as late as a change reaching the cache.
 */
const ANSWER_REUSE_MS = 1_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function splitRow(row: StatusRow): { license: LicenseColumns; installation: InstallationColumns } {
  const license: Record<string, unknown> = { ...row };
  const installation: Record<string, unknown> = {};
  for (const column of INSTALLATION_COLUMNS) {
    installation[column] = row[column];
    delete license[column];
  }
  return { license: license as LicenseColumns, installation: installation as InstallationColumns };
}

/**
 * The check-in points at `now`: a check-in older than `touchAfter` is written again, and so is a
 * certificate expiry below `extendBelow` (usage reports and activations write last_seen_at too,
 * so the expiry is extended on its own clock).
 */
function checkInPoints(now: Date) {
  const { checkInWriteSeconds, certificateTtlSeconds } = config();
  return {
    touchAfter: new Date(now.getTime() - checkInWriteSeconds * 1000),
    extendBelow: new Date(now.getTime() + (certificateTtlSeconds - checkInWriteSeconds) * 1000),
  };
}

/** Whether this request writes the installation's check-in: the query's `touched` condition. */
function checkInDue(row: InstallationColumns, now: Date): boolean {
  if (!row.activated_at) return false;
  const { touchAfter, extendBelow } = checkInPoints(now);
  return (
    !row.last_seen_at ||
    asDate(row.last_seen_at) < touchAfter ||
    !row.certificate_expires_at ||
    asDate(row.certificate_expires_at) < extendBelow
  );
}

/**
 * `GET /api/license-status` with a key. Throws INVALID_FORMAT / LICENSE_NOT_FOUND;
 * an expired or revoked license is a 200 whose body says so. Only an
 * activated installation (`instanceId`) gets a certificate.
 *
 * From the status cache when it holds the license (and, with an instance id,
 * that activated installation) and no check-in is due; `fresh` reads the
 * database whatever the cache holds (right after this process changed the license).
 */
export async function statusByKey(
  rawKey: unknown,
  instanceId: string | null,
  now = new Date(),
  options: { fresh?: boolean } = {},
) {
  const parsed = parseKey(rawKey);
  if (!parsed) throw new LicenseError("INVALID_FORMAT", "That is not a TicketZero license key.");
  const keyHash = hashKey(parsed.key);
  const period = usagePeriod(now);
  if (!options.fresh) {
    const cached = statusCache.lookup<LicenseColumns, CachedInstallation>(keyHash, period, now.getTime());
    const installation = cached && instanceId !== null ? cached.installations.get(instanceId) : undefined;
    if (cached && (instanceId === null || (installation && !checkInDue(installation.row, now)))) {
      statusCache.countAnswer(true);
      const at = now.getTime();
      const reused = installation?.answer;
      if (reused && reused.from <= at && at < reused.until) return reused.body;
      const body = answer(
        { ...cached.license, ...(installation?.row ?? NO_INSTALLATION) },
        instanceId,
        now,
        installation,
      );
      if (installation) {
        installation.answer = { body: deepFreeze(body), from: at, until: Math.min(at + ANSWER_REUSE_MS, cached.until) };
      }
      return body;
    }
  }
  statusCache.countAnswer(false);

  const mark = statusCache.readMark();
  const { touchAfter, extendBelow } = checkInPoints(now);
  const rows = await getSql().unsafe<StatusRow[]>(
    STATUS_QUERY,
    [
      keyHash,
      now.toISOString(),
      instanceId,
      touchAfter.toISOString(),
      period,
      config().certificateTtlSeconds,
      extendBelow.toISOString(),
    ],
    { prepare: true },
  );
  const row = rows[0];
  if (!row) throw new LicenseError("LICENSE_NOT_FOUND", "License not found.");
  const { license, installation: columns } = splitRow(row);
  const entry = statusCache.store<LicenseColumns, CachedInstallation>(keyHash, mark, {
    licenseId: row.id,
    license,
    period,
    until: cachedUntil(row, now),
  });
  let installation: CachedInstallation | undefined;
  // Only activated installations are kept: one that is not yet is about to activate (a write here).
  // A certificate is signed afresh here: what was read may already be newer than the one kept.
  if (entry && instanceId !== null && row.activated_at) {
    installation = { row: columns, certificate: null };
    entry.installations.set(instanceId, installation);
  } else if (entry && instanceId !== null) entry.installations.delete(instanceId);
  return answer(row, instanceId, now, installation);
}

/**
 * Until when a license's facts hold by the clock alone: a held slot frees, the oldest counted swap
 * leaves the 30-day window. With every slot taken, the next slot's estimate also moves with other
 * installations' check-ins, which notify nobody: such an entry is re-read every few seconds.
 */
const FULL_SLOTS_REFRESH_MS = 5_000;
function cachedUntil(row: StatusRow, now: Date): number {
  const moments = [Number.POSITIVE_INFINITY];
  if (row.next_held_frees_at) moments.push(asDate(row.next_held_frees_at).getTime());
  if (row.oldest_swap_at) moments.push(asDate(row.oldest_swap_at).getTime() + SWAP_WINDOW_DAYS * 86_400_000);
  if (row.slots_used >= row.max_activations) moments.push(now.getTime() + FULL_SLOTS_REFRESH_MS);
  return Math.min(...moments);
}

/** The answer to one status row (from the database or the cache), with a certificate where one is due. */
function answer(row: StatusRow, instanceId: string | null, now: Date, installation?: CachedInstallation) {
  const license = factsFromRow(row);
  const limits = {
    maxActivations: row.max_activations,
    swapsPer30Days: row.swaps_per_30_days,
    heartbeatWindowSeconds: row.heartbeat_window_seconds,
  };
  const activation =
    row.activated_at && instanceId
      ? { instanceId, activatedAt: asDate(row.activated_at).toISOString(), clients: row.my_clients ?? 0 }
      : null;
  const body = computeStatus({
    license,
    ticketsThisMonth: row.tickets,
    clients: row.active_clients,
    slots: slotSummary(limits, slotFactsOf(row)),
    activation,
    askedAsInstallation: true,
    deactivatedBy: row.deactivated_by,
    replacement: replacementOf(license, row.replacement_key, row.replacement_plan),
    now,
  });
  if (!activation || !instanceId || !row.certificate_expires_at) return body;
  const issued = withCertificate(
    body,
    license,
    instanceId,
    asDate(row.certificate_expires_at),
    now,
    installation?.certificate,
  );
  if (installation) installation.certificate = issued;
  return body;
}

/** This process changed the license behind `rawKey` (an installation's own write): its cache entry goes now. */
export function forgetStatusOf(rawKey: unknown): void {
  const parsed = parseKey(rawKey);
  if (parsed) statusCache.forgetKey(hashKey(parsed.key));
}

/** The status of one stored license (admin panel, CLI), with its installations (active and holding a slot). */
export async function statusOfLicense(license: LicenseRow, now = new Date()) {
  const [installations, usage, facts, replacement] = await Promise.all([
    installationsOf(license.id),
    getDb().execute<{ tickets: number }>(
      sql`select tickets from usage_months where license_id = ${license.id} and period = ${usagePeriod(now)}`,
    ),
    getDb().execute<SlotFactsRow>(sql.raw(`select * from (select 1) one ${slotFactsSqlFor(license, now)}`)),
    license.supersededBy
      ? getDb().execute<{ key_masked: string; plan: string }>(
          sql`select key_masked, plan from licenses where id = ${license.supersededBy}`,
        )
      : Promise.resolve([]),
  ]);
  const facts0 = factsOf(license);
  const status = computeStatus({
    license: facts0,
    ticketsThisMonth: usage[0]?.tickets ?? 0,
    clients: facts[0]!.active_clients,
    slots: slotSummary(license, slotFactsOf(facts[0]!)),
    activation: null,
    askedAsInstallation: false,
    replacement: replacementOf(facts0, replacement[0]?.key_masked ?? null, replacement[0]?.plan ?? null),
    now,
  });
  const visible = installations.filter((i) => i.deactivatedAt === null || (i.slotFreesAt && i.slotFreesAt > now));
  return { status, installations: visible };
}

export type RankedLicense = AccessibleLicense & Awaited<ReturnType<typeof statusOfLicense>>;

/**
 * The license the Admin Panel opens on for a user, across their teams: the one
 * asked for (the switcher), else the team's chosen primary while it is usable,
 * else the newest usable paid license, else the newest usable trial, else the
 * newest of any kind. A paid license always outranks a trial.
 */
export async function accountLicense(
  userId: string,
  options: { licenseId?: string | null; now?: Date } = {},
): Promise<{
  license: LicenseRow | null;
  role: Role | null;
  teamId: string | null;
  status: LicenseStatusBody;
  installations: RankedLicense["installations"];
  all: RankedLicense[];
}> {
  const now = options.now ?? new Date();
  const mine = await licensesOfUser(userId);
  if (!mine.length) {
    return { license: null, role: null, teamId: null, status: notFoundStatus(), installations: [], all: [] };
  }
  const all: RankedLicense[] = await Promise.all(
    mine.map(async (entry) => ({ ...entry, ...(await statusOfLicense(entry.license, now)) })),
  );
  const current = (r: RankedLicense) => r.status.valid && r.license.state !== "superseded";
  const paidCurrent = all.some((r) => current(r) && isPaidPlanId(r.license.plan));
  // A primary counts where the user runs the team, and a trial primary never hides a current paid license.
  const primary = (r: RankedLicense) =>
    r.primary && current(r) && roleAtLeast(r.role, "admin") && (isPaidPlanId(r.license.plan) || !paidCurrent);
  const best =
    all.find((r) => r.license.id === options.licenseId) ??
    all.find(primary) ??
    all.find((r) => current(r) && isPaidPlanId(r.license.plan)) ??
    all.find(current) ??
    all.find((r) => r.status.valid) ??
    all[0]!;
  return {
    license: best.license,
    role: best.role,
    teamId: best.teamId,
    status: best.status,
    installations: best.installations,
    all,
  };
}
