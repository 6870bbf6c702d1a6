/**
 * Rate limits, kept in PostgreSQL by rate-limiter-flexible so every app
 * process shares them. Shaped so honest traffic never meets them: failed key
 * lookups per IP are tight and then block the IP; each key has a generous
 * per-minute budget; trials per IP; activations per license.
 */
import { createHash } from "node:crypto";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { getCounterSql } from "../db/client";
import { LicenseError } from "../license/errors";
import { KEY_FORMAT_MESSAGE, parseKey } from "../license/keys";
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
  failedLookups: RateLimiterPostgres;
  perKey: RateLimiterPostgres;
  trials: RateLimiterPostgres;
  activations: RateLimiterPostgres;
};

let created: Limiters | null = null;

function limiters(): Limiters {
  if (created) return created;
  const limits = config().rateLimits;
  const make = (keyPrefix: string, points: number, duration: number, blockDuration = 0) =>
    new RateLimiterPostgres({
      storeClient: poolAdapter(),
      storeType: "pool",
      tableName: "rate_limits",
      tableCreated: true, // created by the migrations, not at run time
      clearExpiredByTimeout: false,
      keyPrefix,
      points,
      duration,
      blockDuration,
    });
  created = {
    failedLookups: make(
      "fail",
      limits.failedLookupsPerIp,
      limits.failedLookupsWindowSeconds,
      limits.failedLookupsBlockSeconds,
    ),
    perKey: make("key", limits.perKeyPerMinute, 60),
    trials: make("trial", limits.trialsPerIpPerHour, 3600),
    activations: make("act", limits.activationsPerLicensePerHour, 3600),
  };
  return created;
}

const digest = (value: string) => createHash("sha256").update(value).digest("base64url").slice(0, 32);

function limited(res: RateLimiterRes, what: string): LicenseError {
  const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new LicenseError("RATE_LIMITED", `Too many ${what}. Try again in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
  });
}

async function consume(limiter: RateLimiterPostgres, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw limited(error, what);
    throw error;
  }
}

/**
 * "This IP is not blocked" is remembered for a second, so an installation
 * polling all day costs one read a second, not one per request; a block
 * takes effect everywhere within that second, and a failure clears it here.
 */
const CLEAR_FOR_MS = 1000;
const clearUntil = new Map<string, number>();

/** Refuses an IP that guessed too many keys; checked before any key lookup. */
export async function assertIpNotBlocked(ip: string): Promise<void> {
  if ((clearUntil.get(ip) ?? 0) > Date.now()) return;
  const limiter = limiters().failedLookups;
  const res = await limiter.get(ip);
  if (res && res.consumedPoints > limiter.points) throw limited(res, "failed license lookups from this address");
  if (clearUntil.size > 10_000) clearUntil.clear();
  clearUntil.set(ip, Date.now() + CLEAR_FOR_MS);
}

/** Counts a failed lookup (malformed or unknown key) against the IP. */
export async function penaliseFailedLookup(ip: string): Promise<void> {
  clearUntil.delete(ip);
  await limiters()
    .failedLookups.consume(ip)
    .catch((error) => {
      if (!(error instanceof RateLimiterRes)) throw error;
    });
}

/**
 * The per-key budget (the key is hashed so the table never holds it). One
 * busy key would make its row the hottest in the database if every request
 * upserted it, so a process takes points from the shared counter in leases of
 * up to KEY_LEASE and spends them locally; one upsert then serves many
 * requests. The budget still holds across processes, to within one lease per
 * process; the exact limits (activations, tickets, trials) are not leased.
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
          leases.set(id, { points: take, until: Date.now() + res.msBeforeNext });
        })
        .catch((error) => {
          leases.delete(id);
          throw error instanceof RateLimiterRes ? limited(error, "requests for this license") : error;
        })
        .finally(() => leasing.delete(id));
      leasing.set(id, pending);
    }
    await pending; // then spend from the new lease, or wait for the next one
  }
}
export const consumeTrialBudget = (ip: string) => consume(limiters().trials, ip, "trials from this address");
export const consumeActivationBudget = (normalisedKey: string) =>
  consume(limiters().activations, digest(normalisedKey), "activation attempts for this license");

/** For tests and operators: forget an IP's failures. */
export async function resetIp(ip: string): Promise<void> {
  clearUntil.delete(ip);
  await limiters().failedLookups.delete(ip);
}

/**
 * Every key-bearing request, from an installation or from the Admin Panel:
 * the IP's failed-lookup block first, then the key's format (no database work
 * for a malformed key), then `budget`; a malformed or unknown key counts
 * against the IP. `work` gets the normalised key.
 */
export async function guardKeyLookup<T>(
  ip: string,
  rawKey: unknown,
  budget: (normalisedKey: string) => Promise<void>,
  work: (normalisedKey: string) => Promise<T>,
): Promise<T> {
  await assertIpNotBlocked(ip);
  const parsed = parseKey(rawKey);
  if (!parsed) {
    await penaliseFailedLookup(ip);
    throw new LicenseError("INVALID_FORMAT", KEY_FORMAT_MESSAGE);
  }
  await budget(parsed.key);
  try {
    return await work(parsed.key);
  } catch (error) {
    if (error instanceof LicenseError && error.code === "LICENSE_NOT_FOUND") await penaliseFailedLookup(ip);
    throw error;
  }
}
