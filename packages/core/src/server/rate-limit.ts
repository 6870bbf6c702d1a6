/**
 * Rate limits, kept in PostgreSQL (table `rate_limits`: key, points, expire in
 * epoch ms) so every app process shares them. Shaped so honest traffic never
 * meets them.
 *
 * Failed key lookups (key guessing), per IP — exact and fair:
 * - A key-bearing request first gets the cheap indexed lookup (does the key
 *   exist; does `X-Instance-Id` name an activated installation of it; is this
 *   IP blocked). Only a miss (malformed or unknown key) counts, by ONE atomic
 *   upsert that returns the IP's new count; the answer is 404 / 400 only when
 *   that count is within RATE_LIMIT_FAILED_LOOKUPS, else 429. Concurrent
 *   misses serialise on the row lock, each sees a distinct count, so a burst of
 *   any size from one IP gets at most the configured number of 404s per window.
 * - The miss that crosses the limit blocks the IP: 60 s the first time, doubling
 *   for each further block within 24 h, capped at RATE_LIMIT_FAILED_LOOKUPS_BLOCK.
 *   The block is the same row (its `expire` becomes the block's end); when it
 *   ends, a fresh window starts.
 * - While blocked, every request from the IP is 429 — unknown keys, valid keys
 *   with no or an unactivated instance, malformed keys — so no answer tells a
 *   guesser whether a guessed key exists (never a 404 or a 200). The one
 *   exception: a paid key together with the `X-Instance-Id` of an activated
 *   installation of that license is never blocked, so one misconfigured box
 *   behind an MSP's NAT does not lock out its activated siblings.
 *
 * Why that still stops guessing: a guesser gets at most N informative answers
 * per IP per window, then ever longer blocks (≈ N per 15 min at the cap, about
 * 2,000 a day per IP). During a block only the pair (key, activated instance
 * id) is answered, so a blind guess succeeds only if it names an existing
 * 80-bit paid key — p ≤ (keys issued) / 2^80 per request, e.g. 10^6 keys and
 * 10^6 requests a second: one hit in ~38,000 years, whatever the instance ids
 * are. Trial keys have only 40 bits, so they get no bypass: a trial behind a
 * blocked NAT waits out the (short) block like any other request.
 *
 * Other budgets (rate-limiter-flexible on the same table):
 * - per key, a generous per-minute budget — consumed only for keys that exist,
 *   so guessed keys create no rows;
 * - trial creation per IP;
 * - activation attempts per (license key, instance id) — a refused installation
 *   retrying burns only its own budget (an attempt without an instance id counts
 *   as instance `new`) — and, separately, new slots per license
 *   (`consumeNewSlotBudget`, called by activateLicense when it creates a slot).
 *
 * Counter rows expire; `pruneRateLimits` deletes expired ones in bounded batches
 * (run by the job runner; today only tests call it).
 */
import { createHash } from "node:crypto";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { getCounterSql } from "../db/client";
import { LicenseError } from "../license/errors";
import { KEY_FORMAT_MESSAGE, maskKey, parseKey } from "../license/keys";
import { hashKey } from "../license/vault";
import { config } from "./config";

/** rate-limiter-flexible speaks node-postgres' `query({text, values})`; postgres.js answers it. */
function poolAdapter() {
  return {
    query: async ({ text, values }: { text: string; values?: unknown[] }) => {
      const rows = await getCounterSql().unsafe(text, (values ?? []) as never[], { prepare: true });
      return { rows: [...rows], rowCount: rows.count };
    },
  };
}

type Limiters = {
  perKey: RateLimiterPostgres;
  trials: RateLimiterPostgres;
  activationAttempts: RateLimiterPostgres;
  newSlots: RateLimiterPostgres;
  requestFiles: RateLimiterPostgres;
};

let created: Limiters | null = null;

function limiters(): Limiters {
  if (created) return created;
  const limits = config().rateLimits;
  const make = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPostgres({
      storeClient: poolAdapter(),
      storeType: "pool",
      tableName: "rate_limits",
      tableCreated: true, // created by the migrations, not at run time
      clearExpiredByTimeout: false, // pruneRateLimits does it
      keyPrefix,
      points,
      duration,
    });
  created = {
    perKey: make("key", limits.perKeyPerMinute, 60),
    trials: make("trial", limits.trialsPerIpPerHour, 3600),
    activationAttempts: make("actinst", limits.activationAttemptsPerInstancePerHour, 3600),
    newSlots: make("slot", limits.newSlotsPerLicensePerHour, 3600),
    requestFiles: make("reqfile", limits.requestFilesPerLicensePerHour, 3600),
  };
  return created;
}

/** For tests that change the rate-limit settings: limiters are rebuilt from config() on next use. */
export function resetRateLimiters(): void {
  created = null;
  bypass.clear();
}

const digest = (value: string) => createHash("sha256").update(value).digest("base64url").slice(0, 32);

function limitedFor(ms: number, what: string): LicenseError {
  const retryAfterSeconds = Math.max(1, Math.ceil(ms / 1000));
  return new LicenseError("RATE_LIMITED", `Too many ${what}. Try again in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
  });
}

async function consume(limiter: RateLimiterPostgres, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw limitedFor(error.msBeforeNext, what);
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Failed lookups per IP

const BLOCKED = "failed license lookups from this address";
/** The row counting an IP's misses in the current window, and (over the limit) its block. */
const missRow = (ip: string) => `miss:${ip}`;
/** How many blocks this IP earned within the repeat window (24 h): the next block's length doubles per one. */
const strikeRow = (ip: string) => `strike:${ip}`;

function lookupLimits() {
  const l = config().rateLimits;
  return {
    limit: l.failedLookupsPerIp,
    windowMs: l.failedLookupsWindowSeconds * 1000,
    firstBlockMs: l.failedLookupsFirstBlockSeconds * 1000,
    maxBlockMs: l.failedLookupsBlockSeconds * 1000,
    repeatMs: l.failedLookupsRepeatWindowSeconds * 1000,
  };
}

/** The length of the `strikes`-th block within the repeat window: first, doubled per repeat, capped. */
export function blockMs(strikes: number, firstBlockMs: number, maxBlockMs: number): number {
  return Math.min(maxBlockMs, firstBlockMs * 2 ** Math.min(Math.max(strikes - 1, 0), 30));
}

/**
 * One miss, counted atomically: $1 row, $2 now, $3 window, $4 limit, $5 provisional block (the cap).
 * An expired row starts a fresh window. The miss that makes the count limit + 1 sets the row's
 * expiry to the cap at once, so the IP stays blocked while the caller works out the block's length.
 */
const MISS_QUERY = `
  insert into rate_limits as r (key, points, expire)
  values ($1, 1, case when $4::int = 0 then $2::bigint + $5::bigint else $2::bigint + $3::bigint end)
  on conflict (key) do update set
    points = case when r.expire is null or r.expire <= $2::bigint then 1 else least(r.points + 1, 2000000000) end,
    expire = case
      when r.expire is null or r.expire <= $2::bigint then
        case when $4::int = 0 then $2::bigint + $5::bigint else $2::bigint + $3::bigint end
      when r.points + 1 = $4::int + 1 then $2::bigint + $5::bigint
      else r.expire end
  returning points, expire`;

/** $1 row, $2 now, $3 repeat window. */
const STRIKE_QUERY = `
  insert into rate_limits as r (key, points, expire) values ($1, 1, $2::bigint + $3::bigint)
  on conflict (key) do update set
    points = case when r.expire is null or r.expire <= $2::bigint then 1 else least(r.points + 1, 1000) end,
    expire = $2::bigint + $3::bigint
  returning points`;

export type MissOutcome = { failures: number; limited: boolean; blockedUntil: number | null };

/**
 * Counts one failed lookup (malformed or unknown key) against `ip`. `limited`: the answer must be
 * 429 (the count is over the limit); `blockedUntil` then says until when (epoch ms).
 */
export async function recordFailedLookup(ip: string, now = Date.now()): Promise<MissOutcome> {
  const { limit, windowMs, firstBlockMs, maxBlockMs, repeatMs } = lookupLimits();
  const sql = getCounterSql();
  const [row] = await sql.unsafe<{ points: number; expire: string }[]>(
    MISS_QUERY,
    [missRow(ip), now, windowMs, limit, maxBlockMs],
    { prepare: true },
  );
  const failures = Number(row!.points);
  if (failures <= limit) return { failures, limited: false, blockedUntil: null };
  if (failures !== limit + 1) return { failures, limited: true, blockedUntil: Number(row!.expire) };
  // This miss crossed the limit (exactly one does): the block's length grows with repeats.
  const [strike] = await sql.unsafe<{ points: number }[]>(STRIKE_QUERY, [strikeRow(ip), now, repeatMs], {
    prepare: true,
  });
  const blockedUntil = now + blockMs(Number(strike!.points), firstBlockMs, maxBlockMs);
  await sql.unsafe(
    "update rate_limits set expire = $2::bigint where key = $1 and points > $3::int and expire > $4::bigint",
    [missRow(ip), blockedUntil, limit, now],
    { prepare: true },
  );
  return { failures, limited: true, blockedUntil };
}

/** Until when (epoch ms) `ip` is blocked, or null. */
export async function blockedUntil(ip: string, now = Date.now()): Promise<number | null> {
  const [row] = await getCounterSql().unsafe<{ expire: string }[]>(
    "select expire from rate_limits where key = $1 and points > $2::int and expire > $3::bigint",
    [missRow(ip), lookupLimits().limit, now],
    { prepare: true },
  );
  return row ? Number(row.expire) : null;
}

/** Counts a miss; throws 429 over the limit, else returns (the caller answers 404 / 400). */
async function countMiss(ip: string): Promise<void> {
  clearIps.delete(ip);
  const now = Date.now();
  const outcome = await recordFailedLookup(ip, now);
  if (outcome.limited) throw limitedFor((outcome.blockedUntil ?? now + 1000) - now, BLOCKED);
}

/**
 * The lookup before any work: does the key exist, is `instanceId` an activated installation of it,
 * is the IP blocked — one round trip, on indexed columns.
 */
const LOOKUP_QUERY = `
  select
    (select l.id from licenses l where l.key_hash = $1) as license_id,
    exists(
      select 1 from licenses l join activations a on a.license_id = l.id
      where l.key_hash = $1 and a.instance_id = $2::text and a.deactivated_at is null
    ) as activated,
    (select r.expire from rate_limits r where r.key = $3 and r.points > $4::int and r.expire > $5::bigint) as blocked_until`;

type Lookup = { exists: boolean; activated: boolean; blockedUntil: number | null };

async function lookup(keyHash: string, instanceId: string | null, ip: string, now: number): Promise<Lookup> {
  const [row] = await getCounterSql().unsafe<
    { license_id: string | null; activated: boolean; blocked_until: string | null }[]
  >(LOOKUP_QUERY, [keyHash, instanceId, missRow(ip), lookupLimits().limit, now], { prepare: true });
  return {
    exists: row!.license_id !== null,
    activated: row!.activated,
    blockedUntil: row!.blocked_until === null ? null : Number(row!.blocked_until),
  };
}

/**
 * (key, activated instance) pairs this process saw recently: an installation polling all day
 * costs no lookup of its own. A pair deactivated meanwhile keeps its bypass here for at most
 * BYPASS_FOR_MS — harmless: whoever sends it knew a key and an instance id that were valid.
 */
const BYPASS_FOR_MS = 5000;
const bypass = new Map<string, number>();

/**
 * Addresses this process found unblocked within the last second, with no miss since: their
 * requests skip the lookup (an installation polling all day costs one lookup a second per
 * address, not one per request). Misses are still counted exactly (the work's own
 * LICENSE_NOT_FOUND goes through countMiss, which also forgets the address here), so the
 * limit on 404s holds; a block set by another process takes effect here within CLEAR_FOR_MS.
 */
const CLEAR_FOR_MS = 1000;
const clearIps = new Map<string, number>();

/**
 * Every key-bearing request, from an installation or from the Admin Panel: the key's format (no
 * database work for a malformed key), the lookup, then `budget` (only for a key that exists), then
 * `work` with the normalised key. A malformed or unknown key counts against the IP (400 / 404 within
 * the limit, 429 over it); a blocked IP gets 429 unless a paid key comes with the instance id of an
 * activated installation of its license (`instanceId`: X-Instance-Id, or the activation's id).
 */
export async function guardKeyLookup<T>(
  ip: string,
  rawKey: unknown,
  budget: (normalisedKey: string) => Promise<void>,
  work: (normalisedKey: string) => Promise<T>,
  instanceId: string | null = null,
): Promise<T> {
  const parsed = parseKey(rawKey);
  if (!parsed) {
    await countMiss(ip);
    throw new LicenseError("INVALID_FORMAT", KEY_FORMAT_MESSAGE);
  }
  const keyHash = hashKey(parsed.key);
  const canBypass = instanceId !== null && parsed.plan !== "trial";
  const pair = canBypass ? `${keyHash}\n${instanceId}` : "";
  const now = Date.now();
  const ipClear = (clearIps.get(ip) ?? 0) > now;
  if (!ipClear && (!canBypass || (bypass.get(pair) ?? 0) <= now)) {
    const found = await lookup(keyHash, canBypass ? instanceId : null, ip, now);
    if (!found.exists) {
      // Already blocked: 429 without another write (the block's end does not move).
      if (found.blockedUntil !== null) throw limitedFor(found.blockedUntil - now, BLOCKED);
      await countMiss(ip);
      throw new LicenseError("LICENSE_NOT_FOUND", `License ${maskKey(parsed.key)} was not found.`);
    }
    if (found.activated) {
      if (bypass.size > 10_000) bypass.clear();
      bypass.set(pair, now + BYPASS_FOR_MS);
    } else if (found.blockedUntil !== null) {
      throw limitedFor(found.blockedUntil - now, BLOCKED);
    }
    if (found.blockedUntil === null) {
      if (clearIps.size > 10_000) clearIps.clear();
      clearIps.set(ip, now + CLEAR_FOR_MS);
    }
  }
  await budget(parsed.key);
  try {
    return await work(parsed.key);
  } catch (error) {
    // Deleted between the lookup and the work: a miss like any other (the 404 stays within the limit).
    if (error instanceof LicenseError && error.code === "LICENSE_NOT_FOUND") await countMiss(ip);
    throw error;
  }
}

/** For tests and operators: forget an IP's failures and blocks. */
export async function resetIp(ip: string): Promise<void> {
  await getCounterSql().unsafe("delete from rate_limits where key = any($1::text[])", [[missRow(ip), strikeRow(ip)]]);
}

// ---------------------------------------------------------------------------
// Per-key budget

/**
 * The per-key budget (the key is hashed so the table never holds it). One
 * busy key would make its row the hottest in the database if every request
 * upserted it, so a process takes points from the shared counter in leases of
 * up to KEY_LEASE and spends them locally; one upsert then serves many
 * requests. The budget still holds across processes, to within one lease per
 * process; the exact limits (activations, tickets, trials) are not leased.
 * guardKeyLookup calls it only for keys that exist: a guessed key creates no row.
 */
const KEY_LEASE = 25;
type Lease = { points: number; until: number };
const leases = new Map<string, Lease>();
const leasing = new Map<string, Promise<void>>();

export async function consumeKeyBudget(normalisedKey: string): Promise<void> {
  const id = digest(normalisedKey);
  for (;;) {
    const lease = leases.get(id);
    if (lease && lease.points > 0 && lease.until > Date.now()) {
      lease.points--;
      return;
    }
    let pending = leasing.get(id);
    if (!pending) {
      const limiter = limiters().perKey;
      const take = Math.max(1, Math.min(KEY_LEASE, Math.floor(limiter.points / 20)));
      pending = limiter
        .consume(id, take)
        .then((res) => {
          if (leases.size > 10_000) leases.clear();
          leases.set(id, { points: take, until: Date.now() + res.msBeforeNext });
        })
        .catch((error) => {
          leases.delete(id);
          throw error instanceof RateLimiterRes ? limitedFor(error.msBeforeNext, "requests for this license") : error;
        })
        .finally(() => leasing.delete(id));
      leasing.set(id, pending);
    }
    await pending; // then spend from the new lease, or wait for the next one
  }
}

/** The `rate_limits` row of a key's per-minute budget (tests check that guessed keys have none). */
export const perKeyRow = (normalisedKey: string) => `key:${digest(normalisedKey)}`;

// ---------------------------------------------------------------------------
// Trials and activations

export const consumeTrialBudget = (ip: string) => consume(limiters().trials, ip, "trials from this address");

/**
 * Every activation attempt, counted against (license key, instance id) only: an installation
 * refused a slot that keeps retrying spends its own budget, never the budget of other
 * installations of the license. Without an instance id (the server will generate one) the
 * attempt counts against the license's shared `new` bucket.
 */
export const consumeActivationBudget = (normalisedKey: string, instanceId?: string | null) =>
  consume(
    limiters().activationAttempts,
    digest(`${normalisedKey}\n${instanceId ?? "new"}`),
    "activation attempts for this installation",
  );

/** New slots per license per hour: to be called by activateLicense only when it is about to create a slot. */
export const consumeNewSlotBudget = (normalisedKey: string) =>
  consume(limiters().newSlots, digest(normalisedKey), "new activations for this license");

/**
 * Air-gapped request files checked per license per hour, spent before the proof's PBKDF2: an
 * admin posting uploads in a loop pays one derivation per budget point, not one per request.
 */
export const consumeRequestFileBudget = (licenseId: string) =>
  consume(limiters().requestFiles, digest(`request-file\n${licenseId}`), "request files for this license");

// ---------------------------------------------------------------------------
// Pruning

const PRUNE_QUERY = `
  with doomed as (
    select key from rate_limits where expire < $1::bigint limit $2::int for update skip locked
  )
  delete from rate_limits r using doomed where r.key = doomed.key and r.expire < $1::bigint`;

/**
 * Deletes expired counter rows, `batchSize` at a time (each batch its own short statement, so no
 * long lock and no long transaction), at most `maxBatches` batches a call. Returns how many rows
 * went and whether expired rows may remain. Rows locked by a concurrent request are skipped.
 */
export async function pruneRateLimits(
  now = Date.now(),
  { batchSize = 1000, maxBatches = 100 }: { batchSize?: number; maxBatches?: number } = {},
): Promise<{ deleted: number; batches: number; more: boolean }> {
  const sql = getCounterSql();
  let deleted = 0;
  for (let batches = 1; batches <= maxBatches; batches++) {
    const result = await sql.unsafe(PRUNE_QUERY, [now, batchSize], { prepare: true });
    deleted += result.count;
    if (result.count < batchSize) return { deleted, batches, more: false };
  }
  return { deleted, batches: maxBatches, more: true };
}
