/**
 * Rate limits, kept in PostgreSQL by rate-limiter-flexible so every app
 * process shares them. Shaped so honest traffic never meets them: failed key
 * lookups per IP are tight and then block the IP; each key has a generous
 * per-minute budget; trials per IP; activations per license.
 */
import { createHash } from "node:crypto";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { getSql } from "@/lib/db/client";
import { LicenseError } from "@/lib/license/errors";
import { config } from "./config";

/** rate-limiter-flexible speaks node-postgres' `query({text, values})`; postgres.js answers it. */
function poolAdapter() {
  return {
    query: async ({ text, values }: { text: string; values?: unknown[] }) => {
      const rows = await getSql().unsafe(text, (values ?? []) as never[]);
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

const holder = globalThis as unknown as { __tzLimiters?: Limiters };

function limiters(): Limiters {
  if (holder.__tzLimiters) return holder.__tzLimiters;
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
  holder.__tzLimiters = {
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
  return holder.__tzLimiters;
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

/** Refuses an IP that guessed too many keys; checked before any key lookup. */
export async function assertIpNotBlocked(ip: string): Promise<void> {
  const limiter = limiters().failedLookups;
  const res = await limiter.get(ip);
  if (res && res.consumedPoints > limiter.points) throw limited(res, "failed license lookups from this address");
}

/** Counts a failed lookup (malformed or unknown key) against the IP. */
export async function penaliseFailedLookup(ip: string): Promise<void> {
  await limiters()
    .failedLookups.consume(ip)
    .catch((error) => {
      if (!(error instanceof RateLimiterRes)) throw error;
    });
}

/** The per-key budget; the key is hashed so the table never holds it. */
export const consumeKeyBudget = (normalisedKey: string) =>
  consume(limiters().perKey, digest(normalisedKey), "requests for this license");
export const consumeTrialBudget = (ip: string) => consume(limiters().trials, ip, "trials from this address");
export const consumeActivationBudget = (normalisedKey: string) =>
  consume(limiters().activations, digest(normalisedKey), "activation attempts for this license");

/** For tests and operators: forget an IP's failures. */
export async function resetIp(ip: string): Promise<void> {
  await limiters().failedLookups.delete(ip);
}
