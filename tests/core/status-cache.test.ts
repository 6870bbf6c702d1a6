/**
 * The status cache (license/status-cache.ts) in this process, started as the
 * launcher starts it, on the test database. What must never happen: an answer
 * from memory about a change PostgreSQL committed more than a second ago; a
 * certificate for an installation that is not (or no longer) activated; a
 * certificate that outlives the installation's recorded expiry; a check-in
 * that is never written. Changes are made the way staff, installations and
 * the jobs make them (core functions, another connection), never through the cache.
 */
import { databaseUrl, getDb } from "@ticketzero/core/db/client";
import { activations, licenses } from "@ticketzero/core/db/schema";
import { activateLicense, deactivateInstallation } from "@ticketzero/core/license/activations";
import { extendById, setCustomLimits, suspendById } from "@ticketzero/core/license/backoffice";
import { statusByKey } from "@ticketzero/core/license/license-status";
import { issueLicense } from "@ticketzero/core/license/licenses";
import {
  readMark,
  settleStatusCache,
  startStatusCache,
  statusCacheLive,
  statusCacheStats,
  stopStatusCache,
  store,
} from "@ticketzero/core/license/status-cache";
import { reserveTickets } from "@ticketzero/core/license/usage";
import { and, eq } from "drizzle-orm";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEmail } from "../support/http";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

const ctx = { actor: "status-cache-test" };
let proxy: TcpProxy;

async function activated(plan: "starter" | "professional" = "starter") {
  const { license, key } = await issueLicense({ plan, email: testEmail("cache") }, ctx);
  const instanceId = `cache-${license.id.slice(0, 8)}`;
  await activateLicense({ licenseKey: key, instanceId }, ctx);
  await settleStatusCache(); // the activation's own notification is in: what is stored next stays
  return { id: license.id, key, instanceId };
}

/** Polls until `check` holds; returns how long it took (ms), or fails past `limit`. */
async function within(limit: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > limit) throw new Error(`not within ${limit} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitLive() {
  await within(10_000, async () => statusCacheLive());
}

beforeAll(async () => {
  // The cache listens through a proxy the test can cut; every query goes straight to the database.
  proxy = await startTcpProxy(databaseUrl());
  startStatusCache(proxy.url);
  await waitLive();
});

afterAll(async () => {
  await stopStatusCache();
  await proxy?.close();
});

describe("answers from memory", () => {
  it("a second check-in is a hit, with the same certificate; the first one wrote the check-in", async () => {
    const { key, instanceId } = await activated();
    const first = await statusByKey(key, instanceId);
    const before = statusCacheStats().hits;
    const second = await statusByKey(key, instanceId);
    expect(statusCacheStats().hits).toBe(before + 1);
    expect(second).toEqual(first);
    expect(second.certificate).toBeTruthy();
    expect(second.certificate).toBe(first.certificate);
  });

  it("a check-in past the write interval goes to the database, writes last_seen_at and signs a new certificate", async () => {
    const { id, key, instanceId } = await activated();
    const first = await statusByKey(key, instanceId);
    const later = new Date(Date.now() + 61_000);
    const next = await statusByKey(key, instanceId, later);
    const [row] = await getDb()
      .select({ lastSeenAt: activations.lastSeenAt, certificateExpiresAt: activations.certificateExpiresAt })
      .from(activations)
      .where(and(eq(activations.licenseId, id), eq(activations.instanceId, instanceId)));
    expect(row!.lastSeenAt.getTime()).toBe(later.getTime());
    expect(next.certificate).not.toBe(first.certificate);
    // Never past the recorded expiry, from memory or not.
    const exp = decodeJwt(next.certificate!).exp!;
    expect(exp).toBeLessThanOrEqual(Math.floor(row!.certificateExpiresAt!.getTime() / 1000));
    const again = await statusByKey(key, instanceId, new Date(later.getTime() + 1_000));
    expect(again.certificate).toBe(next.certificate);
  });

  it("an installation that is not activated gets no certificate, however warm the license's entry", async () => {
    const { key, instanceId } = await activated();
    await statusByKey(key, instanceId);
    await statusByKey(key, null);
    for (let i = 0; i < 3; i++) {
      const stranger = await statusByKey(key, "never-activated");
      expect(stranger.certificate).toBeUndefined();
      expect(stranger.activation).toBeNull();
      expect(stranger.warnings.map((w) => w.code)).toContain("INSTANCE_NOT_ACTIVATED");
    }
  });
});

describe("every change reaches the cache within a second", () => {
  it("a suspension: suspended, no certificate", async () => {
    const { id, key, instanceId } = await activated();
    await statusByKey(key, instanceId);
    await suspendById(id, ctx, "cache test");
    const took = await within(1_000, async () => (await statusByKey(key, instanceId)).code === "LICENSE_SUSPENDED");
    const body = await statusByKey(key, instanceId);
    expect(body.valid).toBe(false);
    expect(body.certificate).toBeUndefined();
    expect(took).toBeLessThan(1_000);
  });

  it("new limits and a renewal", async () => {
    const { id, key, instanceId } = await activated();
    const before = await statusByKey(key, instanceId);
    await setCustomLimits(id, { maxClients: 7, maxTicketsPerMonth: 777, maxActivations: 9 }, ctx);
    await within(1_000, async () => (await statusByKey(key, instanceId)).limits?.maxTicketsPerMonth === 777);
    const limited = await statusByKey(key, instanceId);
    expect(limited.limits).toMatchObject({ maxClients: 7, maxActivations: 9 });
    expect(decodeJwt(limited.certificate!).limits).toMatchObject({ maxTicketsPerMonth: 777 });
    await extendById(id, 30, ctx);
    await within(
      1_000,
      async () => (await statusByKey(key, instanceId)).license?.expiresAt !== before.license?.expiresAt,
    );
  });

  it("usage reported by the installation, and a change made by another connection", async () => {
    const { id, key, instanceId } = await activated();
    await statusByKey(key, instanceId);
    await reserveTickets({ licenseKey: key, instanceId, tickets: 5 }, ctx);
    await within(1_000, async () => (await statusByKey(key, instanceId)).usage?.ticketsThisMonth === 5);
    // A change the code never sees (psql, a migration, another process): the trigger still tells.
    await getDb().update(licenses).set({ maxClients: 3 }).where(eq(licenses.id, id));
    await within(1_000, async () => (await statusByKey(key, instanceId)).limits?.maxClients === 3);
  });

  it("a deactivation: no certificate for that installation", async () => {
    const { id, key, instanceId } = await activated();
    expect((await statusByKey(key, instanceId)).certificate).toBeTruthy();
    await deactivateInstallation({ licenseId: id }, instanceId, ctx);
    await within(1_000, async () => (await statusByKey(key, instanceId)).certificate === undefined);
    expect((await statusByKey(key, instanceId)).activation).toBeNull();
  });
});

describe("what was read before a change is never stored after it", () => {
  it("a read whose license was dropped meanwhile stores nothing", async () => {
    const { id, key, instanceId } = await activated();
    await statusByKey(key, instanceId);
    const mark = readMark();
    await suspendById(id, ctx, "race");
    // The suspension's notification arrives; a read that began before it must not be kept.
    await within(1_000, async () => (await statusByKey(key, instanceId)).code === "LICENSE_SUSPENDED");
    expect(
      store("some-hash", mark, { licenseId: id, license: {}, period: "2026-01", until: Date.now() + 60_000 }),
    ).toBeNull();
  });
});

describe("a listener that is cut", () => {
  it("stops answering from memory within 2.5 s, so a change it missed is read from the database; it starts again empty", async () => {
    const { id, key, instanceId } = await activated();
    await statusByKey(key, instanceId);
    proxy.pause(); // the listener's connection is cut and cannot come back: its notifications are lost
    await within(3_000, async () => !statusCacheLive());
    await getDb().update(licenses).set({ maxClients: 11 }).where(eq(licenses.id, id));
    expect((await statusByKey(key, instanceId)).limits?.maxClients).toBe(11);
    proxy.resume();
    await within(35_000, async () => statusCacheLive());
    expect((await statusByKey(key, instanceId)).limits?.maxClients).toBe(11);
  }, 60_000);
});
