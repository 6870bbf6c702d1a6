/**
 * The limits that must hold under concurrency (PRODUCT.md): activations,
 * ticket reservations and one trial per email. Each runs with one pool (the
 * core functions in this process, through getDb()) and with four pools (four
 * real server processes on one database, the requests dealt round-robin between
 * them): the limits are PostgreSQL's (row locks, conditional upserts), so they
 * hold however many app processes run (docs/SCALE-OUT.md).
 */

import { getDb } from "@ticketzero/core/db/client";
import { activateLicense } from "@ticketzero/core/license/activations";
import { LicenseError } from "@ticketzero/core/license/errors";
import { generateTrial, issueLicense } from "@ticketzero/core/license/licenses";
import { reserveTickets } from "@ticketzero/core/license/usage";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { call, errorCode, footprint, serverEnv, suffix, testEmail } from "../support/http";

const ctx = { actor: "test" };

/** Settles every promise: the fulfilled values and the LicenseError codes of the rejected ones. */
async function settle<T>(work: Promise<T>[]) {
  const results = await Promise.allSettled(work);
  const ok: T[] = [];
  const codes: string[] = [];
  for (const result of results) {
    if (result.status === "fulfilled") ok.push(result.value);
    else if (result.reason instanceof LicenseError) codes.push(result.reason.code);
    else throw result.reason;
  }
  return { ok, codes };
}

const tally = (values: (string | number)[]) =>
  values.reduce<Record<string, number>>((acc, v) => {
    acc[String(v)] = (acc[String(v)] ?? 0) + 1;
    return acc;
  }, {});

async function trialRows(email: string) {
  const [row] = await getDb().execute<{ trials: number; licenses: number }>(sql`
    select (select count(*)::int from trials where email = ${email}) as trials,
           (select count(*)::int from licenses where email = ${email} and plan = 'trial') as licenses`);
  return row!;
}

describe("concurrency, one pool (core functions in this process)", () => {
  it("50 parallel activations of a 5-activation license: exactly 5 succeed", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: testEmail("conc1") }, ctx);
    const { ok, codes } = await settle(
      Array.from({ length: 50 }, (_, i) => activateLicense({ licenseKey: key, instanceId: `inst-${i}` }, ctx)),
    );
    expect(ok.filter((r) => r.created)).toHaveLength(5);
    expect(ok).toHaveLength(5);
    expect(codes).toEqual(Array(45).fill("ACTIVATION_LIMIT_REACHED"));
    expect((await footprint(license.id)).activations).toBe(5);
  });

  it("the same instance activated 10 times in parallel takes one slot", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: testEmail("conc2") }, ctx);
    const { ok, codes } = await settle(
      Array.from({ length: 10 }, () => activateLicense({ licenseKey: key, instanceId: "same-instance" }, ctx)),
    );
    expect(codes).toEqual([]);
    expect(ok.filter((r) => r.created)).toHaveLength(1);
    expect(ok.filter((r) => !r.created)).toHaveLength(9);
    expect((await footprint(license.id)).activations).toBe(1);
  });

  it("50 parallel ticket reservations never pass the monthly limit", async () => {
    const limit = 100;
    const n = 7;
    const { license, key } = await issueLicense(
      { plan: "professional", email: testEmail("conc3"), limits: { maxTicketsPerMonth: limit } },
      ctx,
    );
    await activateLicense({ licenseKey: key, instanceId: "reporter" }, ctx);
    const { ok, codes } = await settle(
      Array.from({ length: 50 }, () => reserveTickets({ licenseKey: key, instanceId: "reporter", tickets: n }, ctx)),
    );
    const stored = (await footprint(license.id)).tickets;
    expect(stored).toBeLessThanOrEqual(limit);
    expect(ok.length * n).toBe(stored);
    expect(ok.length).toBe(Math.floor(limit / n));
    expect(codes).toEqual(Array(50 - ok.length).fill("USAGE_LIMIT_EXCEEDED"));
    expect(Math.max(...ok.map((r) => r.usage.ticketsThisMonth))).toBe(stored);
  });

  it("20 parallel trials for one email: exactly one license", async () => {
    const email = testEmail("conc4");
    const { ok, codes } = await settle(Array.from({ length: 20 }, () => generateTrial(email, ctx)));
    expect(ok).toHaveLength(1);
    expect(codes).toEqual(Array(19).fill("TRIAL_ALREADY_USED"));
    expect(await trialRows(email)).toEqual({ trials: 1, licenses: 1 });
  });
});

const PROCESSES = 4;

describe(`concurrency, ${PROCESSES} pools (${PROCESSES} server processes)`, () => {
  let servers: AppServer[] = [];
  beforeAll(async () => {
    // Exactness, not latency: 50 requests queue on one license's row lock, and on a loaded machine the
    // last of them may wait past the usual 1.5 s deadline (a 503 whose work still commits).
    const env = serverEnv({ REQUEST_DEADLINE_MS: "15000" });
    servers = await Promise.all(Array.from({ length: PROCESSES }, () => startAppServer({ env })));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  /** The i-th request goes to server i mod PROCESSES. */
  const urlFor = (i: number) => servers[i % PROCESSES]!.url;

  it("50 parallel activations split over four processes: exactly five 201s", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: testEmail("conc5") }, ctx);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(urlFor(i), "/admin/activate-license", { body: { licenseKey: key, instanceId: `inst-${i}-${suffix()}` } }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 5, 409: 45 });
    for (const r of results.filter((r) => r.status === 409)) expect(errorCode(r)).toBe("ACTIVATION_LIMIT_REACHED");
    expect((await footprint(license.id)).activations).toBe(5);
  });

  it("the same instance id 10 times over four processes: one 201, nine 200, one row", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: testEmail("conc6") }, ctx);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(urlFor(i), "/admin/activate-license", { body: { licenseKey: key, instanceId: "same-instance" } }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 200: 9, 201: 1 });
    expect((await footprint(license.id)).activations).toBe(1);
  });

  it("50 parallel reservations over four processes never pass the monthly limit", async () => {
    const limit = 100;
    const n = 7;
    const { license, key } = await issueLicense(
      { plan: "professional", email: testEmail("conc7"), limits: { maxTicketsPerMonth: limit } },
      ctx,
    );
    await activateLicense({ licenseKey: key, instanceId: "reporter" }, ctx);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(urlFor(i), "/api/usage", { key, instanceId: "reporter", body: { tickets: n } }),
      ),
    );
    const successes = results.filter((r) => r.status === 200);
    const failures = results.filter((r) => r.status !== 200);
    const stored = (await footprint(license.id)).tickets;
    expect(stored).toBeLessThanOrEqual(limit);
    expect(successes.length * n).toBe(stored);
    expect(successes.length).toBe(Math.floor(limit / n));
    for (const r of failures) {
      expect(r.status).toBe(409);
      expect(errorCode(r)).toBe("USAGE_LIMIT_EXCEEDED");
    }
  });

  it("clients are summed over installations: 10 installations reporting at once over four processes never pass maxClients", async () => {
    const { license, key } = await issueLicense(
      { plan: "enterprise", email: testEmail("conc-clients"), limits: { maxClients: 20, maxActivations: 10 } },
      ctx,
    );
    const ids = Array.from({ length: 10 }, (_, i) => `clients-${i}`);
    for (const id of ids) await activateLicense({ licenseKey: key, instanceId: id }, ctx);
    // Each asks for 3 clients: at most six fit in 20, whatever the interleaving.
    const results = await Promise.all(
      ids.map((id, i) => call(urlFor(i), "/api/usage", { key, instanceId: id, body: { tickets: 0, clients: 3 } })),
    );
    const accepted = results.filter((r) => r.status === 200);
    expect(accepted).toHaveLength(6);
    for (const r of results.filter((r) => r.status !== 200)) expect(errorCode(r)).toBe("CLIENT_LIMIT_EXCEEDED");
    expect((await footprint(license.id)).clients).toBe(18);
    const status = await call(urlFor(0), "/api/license-status", { key, instanceId: "clients-0" });
    expect(status.body.usage.clients).toBe(18);
  });

  it("20 parallel trials for one email over four processes: one 201, nineteen TRIAL_ALREADY_USED", async () => {
    const email = testEmail("conc8");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(urlFor(i), "/admin/generate-trial", { body: { email } })),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 409: 19 });
    for (const r of results.filter((r) => r.status === 409)) expect(errorCode(r)).toBe("TRIAL_ALREADY_USED");
    const created = results.find((r) => r.status === 201)!;
    expect(created.body.licenseKey).toMatch(/^TZ-TRIAL-[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(await trialRows(email)).toEqual({ trials: 1, licenses: 1 });
  });
});
