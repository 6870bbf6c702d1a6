/**
 * Per-IP limits answer 429 RATE_LIMITED with Retry-After once their budget is
 * spent: trial creation, and failed key lookups (which then block the IP —
 * except for a paid key with an activated instance). Each test uses its own
 * client address (TRUST_PROXY=1), so runs never share counters. The counting
 * itself (block growth with injected time, activation budgets, pruning) is
 * tested in-process against the same PostgreSQL.
 */

import type { IncomingMessage } from "node:http";
import { getCounterSql } from "@ticketzero/core/db/client";
import { resolveClientIp } from "@ticketzero/core/http/client-ip";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { resetConfig } from "@ticketzero/core/server/config";
import {
  blockedUntil,
  consumeActivationBudget,
  consumeNewSlotBudget,
  perKeyRow,
  pruneRateLimits,
  recordFailedLookup,
  resetRateLimiters,
} from "@ticketzero/core/server/rate-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { type CallResult, call, emailFootprint, randomIp, serverEnv, suffix, testEmail } from "../support/http";

const TRIALS = 3;
const FAILED_LOOKUPS = 4;
const ATTEMPTS = 5;
let server: AppServer;

beforeAll(async () => {
  server = await startAppServer({
    env: serverEnv({
      RATE_LIMIT_TRIALS_PER_HOUR: String(TRIALS),
      RATE_LIMIT_FAILED_LOOKUPS: String(FAILED_LOOKUPS),
      RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR: String(ATTEMPTS),
      RATE_LIMIT_ACTIVATIONS_PER_HOUR: "100000",
    }),
  });
});
afterAll(async () => {
  await server?.stop();
});

function expectRateLimited(result: CallResult) {
  expect(result.status).toBe(429);
  expect(result.body).toMatchObject({ error: { code: "RATE_LIMITED", message: expect.any(String) } });
  const retryAfter = Number(result.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
}

describe("rate limits", () => {
  it("trials per IP: the budget, then 429 with Retry-After, and nothing written", async () => {
    const ip = randomIp();
    for (let i = 0; i < TRIALS; i++) {
      const ok = await call(server.url, "/admin/generate-trial", { ip, body: { email: testEmail("rl-trial") } });
      expect(ok.status, ok.text).toBe(201);
    }
    const email = testEmail("rl-trial-refused");
    const refused = await call(server.url, "/admin/generate-trial", { ip, body: { email } });
    expectRateLimited(refused);
    expect(await emailFootprint(email)).toEqual({ licenses: 0, trials: 0, users: 0 });
    // Another address still has its own budget.
    const other = await call(server.url, "/admin/generate-trial", { body: { email: testEmail("rl-other") } });
    expect(other.status).toBe(201);
  });

  it("failed key lookups per IP: after the budget, 429 with Retry-After, even for a valid key", async () => {
    const ip = randomIp();
    const { key } = await issueLicense({ plan: "starter", email: testEmail("rl-lookup") }, { actor: "test" });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | null = null;
    for (let i = 0; i < FAILED_LOOKUPS + 5 && !limited; i++) {
      const guess = i % 2 ? "TZ-PRO-AAAA-BBBB-CCCC-DDDD" : "TZ-PRO-not-a-key";
      const result = await call(server.url, "/api/license-status", { ip, key: guess });
      statuses.push(result.status);
      if (result.status === 429) limited = result;
    }
    expect(limited, `statuses: ${statuses.join(",")}`).not.toBeNull();
    expectRateLimited(limited!);
    expect(statuses.slice(0, FAILED_LOOKUPS).every((s) => s === 400 || s === 404)).toBe(true);
    // The address is blocked for every key now; another address is not.
    expectRateLimited(await call(server.url, "/api/license-status", { ip, key }));
    expect((await call(server.url, "/api/license-status", { key })).status).toBe(200);
  });
});

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const group = () => Array.from({ length: 4 }, () => CROCKFORD[Math.floor(Math.random() * 32)]).join("");
const unknownKey = () => `TZ-PRO-${group()}-${group()}-${group()}-${group()}`;

/** Sends failures from `ip` until one is refused; returns the statuses. */
async function blockIp(ip: string): Promise<number[]> {
  const statuses: number[] = [];
  while (!statuses.includes(429) && statuses.length < FAILED_LOOKUPS + 3) {
    statuses.push((await call(server.url, "/api/license-status", { ip, key: unknownKey() })).status);
  }
  return statuses;
}

describe("failed lookups: exact", () => {
  it("sequential: exactly the limit of 400/404 answers, then 429 with a first block of at most 60 s", async () => {
    const ip = randomIp();
    const statuses: number[] = [];
    let refused: CallResult | null = null;
    for (let i = 0; i < FAILED_LOOKUPS + 3; i++) {
      const result = await call(server.url, "/api/license-status", {
        ip,
        key: i % 2 ? unknownKey() : "TZ-PRO-not-a-key",
      });
      statuses.push(result.status);
      if (result.status === 429) refused ??= result;
    }
    expect(
      statuses.slice(0, FAILED_LOOKUPS).every((s) => s === 400 || s === 404),
      statuses.join(","),
    ).toBe(true);
    expect(statuses.slice(FAILED_LOOKUPS), statuses.join(",")).toEqual([429, 429, 429]);
    expectRateLimited(refused!);
    expect(Number(refused!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  });

  it("300 concurrent unknown keys from one IP: at most the limit of 404s, the rest 429", async () => {
    const ip = randomIp();
    const keys = Array.from({ length: 300 }, unknownKey);
    const results = await Promise.all(keys.map((key) => call(server.url, "/api/license-status", { ip, key })));
    const counts: Record<number, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    console.info(`[rate-limit] 300 concurrent unknown keys, limit ${FAILED_LOOKUPS}: ${JSON.stringify(counts)}`);
    expect(counts[404] ?? 0).toBeLessThanOrEqual(FAILED_LOOKUPS);
    expect(counts[404] ?? 0).toBeGreaterThan(0);
    expect((counts[404] ?? 0) + (counts[429] ?? 0)).toBe(300);
    for (const r of results.filter((r) => r.status === 429)) expectRateLimited(r);
    // Guessed keys create no per-key rows; the IP has its miss row (and one strike), not one per key.
    const rows = await getCounterSql()`select key from rate_limits where key = any(${keys.map(perKeyRow)})`;
    expect(rows.length).toBe(0);
    const ipRows = await getCounterSql()`select key from rate_limits where key like ${`%:${ip}`}`;
    expect(ipRows.map((r) => r.key).sort()).toEqual([`miss:${ip}`, `strike:${ip}`]);
  });
});

describe("failed lookups: fair", () => {
  it("a blocked IP: a paid key with an activated instance still gets 200; everything else from it gets 429", async () => {
    const ip = randomIp();
    const { key } = await issueLicense({ plan: "professional", email: testEmail("rl-nat") }, { actor: "test" });
    const { key: trialKey } = await issueLicense(
      { plan: "trial", email: testEmail("rl-nat-trial") },
      { actor: "test" },
    );
    const box = `box-${suffix()}`;
    for (const k of [key, trialKey]) {
      const activated = await call(server.url, "/admin/activate-license", {
        ip,
        body: { licenseKey: k, instanceId: box },
      });
      expect(activated.status, activated.text).toBe(201);
    }
    const statuses = await blockIp(ip);
    expect(statuses.at(-1), statuses.join(",")).toBe(429);

    for (let i = 0; i < 5; i++) {
      const ok = await call(server.url, "/api/license-status", { ip, key, instanceId: box });
      expect(ok.status, ok.text).toBe(200);
    }
    const again = await call(server.url, "/admin/activate-license", { ip, body: { licenseKey: key, instanceId: box } });
    expect(again.status, again.text).toBe(200);
    // No leak: a valid key without, or with an unactivated, instance id is as refused as an unknown key.
    expectRateLimited(await call(server.url, "/api/license-status", { ip, key }));
    expectRateLimited(await call(server.url, "/api/license-status", { ip, key, instanceId: `other-${suffix()}` }));
    expectRateLimited(await call(server.url, "/api/license-status", { ip, key: unknownKey(), instanceId: box }));
    expectRateLimited(await call(server.url, "/api/license-status", { ip, key: "TZ-nonsense", instanceId: box }));
    expectRateLimited(
      await call(server.url, "/admin/activate-license", {
        ip,
        body: { licenseKey: key, instanceId: `new-${suffix()}` },
      }),
    );
    // 40-bit trial keys get no bypass (guessable at line rate during a block).
    expectRateLimited(await call(server.url, "/api/license-status", { ip, key: trialKey, instanceId: box }));
  });

  it("TRUST_PROXY=1: a forged leftmost X-Forwarded-For does not move the client to a fresh budget", async () => {
    const real = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_LOOKUPS + 2; i++) {
      const result = await call(server.url, "/api/license-status", {
        key: unknownKey(),
        headers: { "X-Forwarded-For": `${randomIp()}, ${real}` },
      });
      statuses.push(result.status);
    }
    expect(statuses, statuses.join(",")).toEqual([...Array(FAILED_LOOKUPS).fill(404), 429, 429]);
    const fake = (xff: string | undefined, remoteAddress = "192.0.2.1") =>
      ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { "x-forwarded-for": xff } }) as IncomingMessage;
    expect(resolveClientIp(fake("6.6.6.6, 10.0.0.7"), 1)).toBe("10.0.0.7");
    expect(resolveClientIp(fake("6.6.6.6,10.0.0.7, 10.0.0.9"), 2)).toBe("10.0.0.7");
    expect(resolveClientIp(fake("6.6.6.6, 10.0.0.7"), 0)).toBe("192.0.2.1");
    expect(resolveClientIp(fake(undefined), 1)).toBe("192.0.2.1");
  });
});

describe("activation budgets", () => {
  it("a refused installation retrying spends only its own budget: a new one activates once a slot frees", async () => {
    const ip = randomIp();
    const { key } = await issueLicense({ plan: "starter", email: testEmail("rl-act") }, { actor: "test" }); // 2 slots
    const activate = (instanceId: string) =>
      call(server.url, "/admin/activate-license", { ip, body: { licenseKey: key, instanceId } });
    for (const id of ["a", "b"]) expect((await activate(id)).status).toBe(201);
    const refused: number[] = [];
    for (let i = 0; i < 30; i++) refused.push((await activate("refused")).status);
    expect(refused.slice(0, ATTEMPTS)).toEqual(Array(ATTEMPTS).fill(409));
    expect(refused.slice(ATTEMPTS)).toEqual(Array(30 - ATTEMPTS).fill(429));
    const off = await call(server.url, "/api/deactivate", { ip, key, body: { instanceId: "a" } });
    expect(off.status, off.text).toBe(200);
    const legit = await activate("legit");
    expect(legit.status, legit.text).toBe(201);
  });
});

describe("counting, in-process (injected time)", () => {
  beforeAll(() => {
    Object.assign(process.env, {
      RATE_LIMIT_FAILED_LOOKUPS: "3",
      RATE_LIMIT_FAILED_LOOKUPS_WINDOW: "600",
      RATE_LIMIT_FAILED_LOOKUPS_FIRST_BLOCK: "60",
      RATE_LIMIT_FAILED_LOOKUPS_BLOCK: "900",
      RATE_LIMIT_FAILED_LOOKUPS_REPEAT_WINDOW: "86400",
      RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR: "3",
      RATE_LIMIT_ACTIVATIONS_PER_HOUR: "2",
    });
    resetConfig();
    resetRateLimiters();
  });

  it("blocks start at 60 s and double per repeat within 24 h, capped; a fresh window after each block", async () => {
    const ip = randomIp();
    let t = Date.now();
    const lengths: number[] = [];
    for (let block = 0; block < 7; block++) {
      for (let i = 1; i <= 3; i++) {
        expect(await recordFailedLookup(ip, t)).toEqual({ failures: i, limited: false, blockedUntil: null });
      }
      const crossing = await recordFailedLookup(ip, t);
      expect(crossing.limited).toBe(true);
      const after = await recordFailedLookup(ip, t + 1);
      expect(after).toMatchObject({ limited: true, blockedUntil: crossing.blockedUntil });
      expect(await blockedUntil(ip, t + 1)).toBe(crossing.blockedUntil);
      lengths.push((crossing.blockedUntil! - t) / 1000);
      t = crossing.blockedUntil! + 1;
      expect(await blockedUntil(ip, t)).toBeNull();
    }
    expect(lengths).toEqual([60, 120, 240, 480, 900, 900, 900]);
    // A day without a block: back to the first length.
    t += 86_400_000 + 1;
    for (let i = 0; i < 3; i++) await recordFailedLookup(ip, t);
    const fresh = await recordFailedLookup(ip, t);
    expect((fresh.blockedUntil! - t) / 1000).toBe(60);
  });

  it("concurrent misses on one IP: each sees a distinct count, exactly the limit are under it", async () => {
    const ip = randomIp();
    const now = Date.now();
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => recordFailedLookup(ip, now)));
    expect(outcomes.filter((o) => !o.limited).length).toBe(3);
    expect(new Set(outcomes.map((o) => o.failures)).size).toBe(200);
  });

  it("activation attempts count per (license, instance); new slots per license, separately", async () => {
    const key = unknownKey(); // budgets are keyed by the normalised key; no lookup here
    for (let i = 0; i < 3; i++) await consumeActivationBudget(key, "refused");
    await expect(consumeActivationBudget(key, "refused")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await consumeActivationBudget(key, "other");
    for (let i = 0; i < 3; i++) await consumeActivationBudget(key, null); // the id-less "new" bucket
    await expect(consumeActivationBudget(key)).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await consumeNewSlotBudget(key);
    await consumeNewSlotBudget(key);
    await expect(consumeNewSlotBudget(key)).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await consumeActivationBudget(key, "third"); // not affected by the license's slot budget
  });

  it("pruneRateLimits deletes expired rows in bounded batches and keeps live ones", async () => {
    const sql = getCounterSql();
    const prefix = `prune-${suffix()}`;
    const now = Date.now();
    const rows = (n: number, what: string, expire: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `${prefix}:${what}:${i}`, points: 1, expire }));
    await sql`insert into rate_limits ${sql(rows(2500, "old", now - 1000))}`;
    await sql`insert into rate_limits ${sql(rows(10, "live", now + 60_000))}`;
    const bounded = await pruneRateLimits(now, { batchSize: 500, maxBatches: 2 });
    expect(bounded).toEqual({ deleted: 1000, batches: 2, more: true });
    const rest = await pruneRateLimits(now, { batchSize: 500 });
    expect(rest.deleted).toBeGreaterThanOrEqual(1500);
    expect(rest.more).toBe(false);
    const [left] = await sql`select
      count(*) filter (where key like ${`${prefix}:old:%`})::int as old,
      count(*) filter (where key like ${`${prefix}:live:%`})::int as live
      from rate_limits`;
    expect(left).toEqual({ old: 0, live: 10 });
    await sql`delete from rate_limits where key like ${`${prefix}:%`}`;
  });
});
