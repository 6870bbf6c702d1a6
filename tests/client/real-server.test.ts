/**
 * The installation client (`packages/client`) against the REAL server process (scripts/start.ts
 * --api-only on the test run's database), not the stub: activation, status, feature gating and
 * limits as the server decides them; offline operation after the server process is stopped;
 * refused caches and certificates; 429 from the server's per-key budget and 503 from a database
 * outage (a TCP proxy between the server process and the database).
 *
 * Every client sends a random X-Forwarded-For (servers run with TRUST_PROXY=1) through its
 * `fetch` option, so per-IP limits kept in PostgreSQL never leak between tests or runs; every
 * test issues its own licenses. Time is moved with an injected `now`, never by sleeping.
 */
import fs from "node:fs";
import path from "node:path";
import { issueLicense, revokeLicense } from "@ticketzero/core/license/licenses";
import type { PlanId, PlanLimits } from "@ticketzero/core/license/plans";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createLicenseClient,
  type FetchLike,
  type JsonWebKeySet,
  type LicenseClientOptions,
  LicenseError,
} from "../../packages/client/src/index";
import { type AppServer, startAppServer } from "../support/app-server";
import { call, randomIp, serverEnv, testEmail } from "../support/http";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { DAY, fakeClock, tempDir } from "./support/helpers";

// ---------------------------------------------------------------- fixtures

const dirs: string[] = [];
/** Servers started by a test itself (stopped by the test; this is the safety net). */
const ownServers: AppServer[] = [];
let server: AppServer;

/** Each server's published key set, fetched from its `GET /api/public-key`: the tests' explicit trust anchor. */
const anchors = new Map<string, JsonWebKeySet>();
async function trustServer(s: AppServer): Promise<AppServer> {
  const published = await call(s.url, "/api/public-key");
  expect(published.status).toBe(200);
  anchors.set(s.url, published.body);
  return s;
}

beforeAll(async () => {
  server = await trustServer(await startAppServer({ env: serverEnv() }));
});
/** Stops a server process unless it already exited (a second stop() of a signalled process would wait forever). */
async function stopServer(s: AppServer): Promise<void> {
  if (s.process.exitCode === null && s.process.signalCode === null) await s.stop();
}
afterEach(async () => {
  await Promise.all(ownServers.splice(0).map(stopServer));
});
afterAll(async () => {
  await server?.stop();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function startOwnServer(options: { env?: Record<string, string>; port?: number } = {}): Promise<AppServer> {
  const s = await startAppServer({ env: serverEnv(options.env), port: options.port });
  ownServers.push(s);
  return trustServer(s);
}

async function issue(plan: PlanId, limits?: Partial<PlanLimits>) {
  return issueLicense({ plan, email: testEmail(`client-real-${plan}`), limits }, { actor: "test" });
}

type WireEntry = { method: string; path: string; status: number | null; retryAfter: string | null };

type RealClientOptions = Partial<LicenseClientOptions> & {
  /** Runs inside the injected sleep, after the delay is recorded (n = 1 for the first sleep). */
  onSleep?: (ms: number, n: number) => Promise<void> | void;
};

/**
 * A client on a real server: its own temp dataDir and client address, a fake clock (starts at
 * real time), a recording sleep that returns at once, and a log of every request on the wire.
 */
function realClient(url: string, licenseKey: string, extra: RealClientOptions = {}) {
  const { onSleep, ...options } = extra;
  const ip = randomIp();
  const wire: WireEntry[] = [];
  const delays: number[] = [];
  const clock = fakeClock();
  const dataDir = options.dataDir ?? tempDir("tz-client-real-");
  if (!options.dataDir) dirs.push(dataDir);
  const wrappedFetch: FetchLike = async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("x-forwarded-for", ip);
    const entry: WireEntry = {
      method: init?.method ?? "GET",
      path: new URL(input).pathname,
      status: null,
      retryAfter: null,
    };
    wire.push(entry);
    const response = await fetch(input, { ...init, headers });
    entry.status = response.status;
    entry.retryAfter = response.headers.get("retry-after");
    return response;
  };
  // The server's keys, fetched by the test from the server it started (a same-port restart keeps them).
  const anchor = anchors.get(url) ?? [...anchors.values()][0];
  const client = createLicenseClient({
    serverUrl: url,
    licenseKey,
    dataDir,
    ...(options.jwks === undefined && options.trustOnFirstUse === undefined && anchor ? { jwks: anchor } : {}),
    now: clock.now,
    sleep: async (ms) => {
      delays.push(ms);
      await onSleep?.(ms, delays.length);
    },
    random: () => 0.5,
    timeoutMs: 15_000,
    maxRetries: 1,
    fetch: wrappedFetch,
    ...options,
  });
  const statuses = (p: string) => wire.filter((w) => w.path === p).map((w) => w.status);
  return { client, clock, delays, wire, statuses, dataDir, ip };
}

/** A caught rejection, asserted to be a LicenseError. */
async function licenseError(promise: Promise<unknown>): Promise<LicenseError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LicenseError);
  return error as LicenseError;
}

/** A client that validated against its own server process, which is then stopped. */
async function onlineThenStopped(extra: RealClientOptions = {}, plan: PlanId = "professional") {
  const own = await startOwnServer();
  const { key, license } = await issue(plan);
  const ctx = realClient(own.url, key, extra);
  expect(await ctx.client.validateLicense()).toMatchObject({ valid: true });
  await own.stop();
  expect(own.process.exitCode !== null || own.process.signalCode !== null).toBe(true);
  return { ...ctx, key, license, own };
}

/** Last server contact as recorded in the cache (the server's Date header), read offline. */
async function lastContact(ctx: { client: { getLicenseStatus(): Promise<{ lastServerContact?: string | null }> } }) {
  const status = await ctx.client.getLicenseStatus();
  const at = Date.parse(status.lastServerContact ?? "");
  expect(Number.isFinite(at)).toBe(true);
  return at;
}

// ---------------------------------------------------------------- online

describe("against the real server: activation, status, features, limits", () => {
  it("activates on first use: the server lists this instance, and status says so", async () => {
    const { key, license } = await issue("professional");
    const { client, statuses, dataDir } = realClient(server.url, key, { instanceName: "real-server-test" });

    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: true, code: "VALID" });
    expect(statuses("/admin/activate-license")).toEqual([201]);
    expect(fs.readFileSync(path.join(dataDir, "instance-id"), "utf8").trim()).toBe(client.instanceId);

    const status = await client.getLicenseStatus();
    expect(status).toMatchObject({
      valid: true,
      code: "VALID",
      status: "valid",
      license: { plan: "professional", planName: "Professional" },
      limits: { maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 5 },
      usage: { activations: 1, ticketsThisMonth: 0 },
      activation: { instanceId: client.instanceId },
    });
    expect(status.offline).toBeUndefined();
    expect(status.license?.key).toMatch(/^TZ-PRO-\*{4}-\*{4}-\*{4}-[0-9A-Z]{4}$/);
    expect(typeof status.certificate).toBe("string");
    expect(statuses("/api/license-status")).toEqual([200]);

    // The server's own view, seen by another party: the installation is activated.
    const seen = await call(server.url, "/api/license-status", { key, instanceId: client.instanceId });
    expect(seen.body.activation).toMatchObject({ instanceId: client.instanceId });
    expect(seen.body.usage.activations).toBe(1);
    const stranger = await call(server.url, "/api/license-status", { key, instanceId: "never-activated" });
    expect(stranger.body.activation).toBeNull();

    // Checking again does not take another slot; a second client with the same data dir is the same instance.
    expect((await client.validateLicense()).code).toBe("VALID");
    const again = realClient(server.url, key, { dataDir });
    expect(again.client.instanceId).toBe(client.instanceId);
    expect(await again.client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
    expect((await again.client.getLicenseStatus()).usage?.activations).toBe(1);
    expect(license.id).toEqual(expect.any(String));
  });

  it("a trial reports TRIAL", async () => {
    const { key } = await issue("trial");
    const { client } = realClient(server.url, key);
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "TRIAL" });
    expect(await client.getLicenseStatus()).toMatchObject({ status: "trial", license: { plan: "trial" } });
  });

  it("gates features by the Professional plan (display name or key, any case)", async () => {
    const { key } = await issue("professional");
    const { client } = realClient(server.url, key);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("advanced dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("ADVANCED_DASHBOARD")).toBe(true);
    expect(await client.checkFeatureAccess("advanced_dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("Multi-LLM Support")).toBe(true);
    expect(await client.checkFeatureAccess("White Label Branding")).toBe(false);
    expect(await client.checkFeatureAccess("white_label_branding")).toBe(false);
    expect(await client.checkFeatureAccess("Enterprise Dashboard")).toBe(false);
    expect(await client.checkFeatureAccess("no such feature")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 5 });
  });

  it("reserves tickets and refuses past the limits with their codes; nothing is counted when refused", async () => {
    const { key } = await issue("professional", { maxTicketsPerMonth: 10, maxClients: 3 });
    const { client } = realClient(server.url, key);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 3, maxTicketsPerMonth: 10, maxActivations: 5 });

    const first = await client.recordTickets(6, 2);
    expect(first).toMatchObject({ remaining: 4, usage: { ticketsThisMonth: 6, clients: 2, activations: 1 } });

    const over = await licenseError(client.recordTickets(5));
    expect(over).toMatchObject({ code: "USAGE_LIMIT_EXCEEDED", status: 409, retryable: false });
    const clients = await licenseError(client.recordTickets(1, 4));
    expect(clients).toMatchObject({ code: "CLIENT_LIMIT_EXCEEDED", status: 409 });

    // Refusals changed nothing: exactly the remaining 4 still fit.
    expect(await client.recordTickets(4)).toMatchObject({ remaining: 0, usage: { ticketsThisMonth: 10, clients: 2 } });
    expect(await licenseError(client.recordTickets(1))).toMatchObject({ code: "USAGE_LIMIT_EXCEEDED" });
    const status = await client.getLicenseStatus();
    expect(status.usage).toMatchObject({ ticketsThisMonth: 10, clients: 2 });
    expect(status.warnings.map((w) => w.code).join(" ")).toMatch(/TICKET/);

    // assertWithinLimits: the same codes, checked locally against what REMAINS (contract of issue 8):
    // 0 of 10 tickets left; this installation's own 2 clients do not count against it.
    expect(await client.assertWithinLimits({ clients: 3, tickets: 0 })).toEqual({
      maxClients: 3,
      maxTicketsPerMonth: 10,
      maxActivations: 5,
    });
    expect(await licenseError(client.assertWithinLimits({ clients: 4 }))).toMatchObject({
      code: "CLIENT_LIMIT_EXCEEDED",
    });
    expect(await licenseError(client.assertWithinLimits({ tickets: 1 }))).toMatchObject({
      code: "USAGE_LIMIT_EXCEEDED",
    });
  });

  it("a second instance on a 1-activation trial is ACTIVATION_LIMIT_REACHED; freeing the slot lets it in", async () => {
    const { key } = await issue("trial");
    const first = realClient(server.url, key);
    const second = realClient(server.url, key);
    expect(first.client.instanceId).not.toBe(second.client.instanceId);
    expect(await first.client.validateLicense()).toMatchObject({ valid: true, code: "TRIAL" });

    const refused = await second.client.validateLicense();
    expect(refused).toMatchObject({ valid: false, code: "ACTIVATION_LIMIT_REACHED" });
    expect(second.statuses("/admin/activate-license")).toEqual([409]);
    expect(await second.client.checkFeatureAccess("Basic Dashboard")).toBe(false);
    expect(await second.client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });
    expect(await licenseError(second.client.activate())).toMatchObject({
      code: "ACTIVATION_LIMIT_REACHED",
      status: 409,
    });
    expect(await licenseError(second.client.assertWithinLimits({ clients: 1 }))).toMatchObject({
      code: "ACTIVATION_LIMIT_REACHED",
    });
    // The first installation is untouched.
    expect(await first.client.validateLicense()).toMatchObject({ valid: true, code: "TRIAL" });

    await first.client.deactivate();
    expect(await first.client.validateLicense()).toMatchObject({ valid: false, code: "DEACTIVATED" });
    const activated = await second.client.activate();
    expect(activated.activation).toMatchObject({ instanceId: second.client.instanceId });
    expect(await second.client.validateLicense()).toMatchObject({ valid: true, code: "TRIAL" });
  });

  it("a revoked license is invalid with the server's code, and is not resurrected", async () => {
    const { key } = await issue("professional");
    const { client } = realClient(server.url, key);
    expect((await client.validateLicense()).valid).toBe(true);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(true);

    await revokeLicense(key, { actor: "test" }, "real-server client test");
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "LICENSE_REVOKED" });
    const status = await client.getLicenseStatus();
    expect(status).toMatchObject({ valid: false, code: "LICENSE_REVOKED", status: "invalid" });
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    expect(await licenseError(client.recordTickets(1))).toMatchObject({ code: "LICENSE_REVOKED" });

    // A fresh installation with the revoked key is refused at activation.
    const fresh = realClient(server.url, key);
    expect(await fresh.client.validateLicense()).toMatchObject({ valid: false, code: "LICENSE_REVOKED" });
    expect(fresh.statuses("/admin/activate-license")).toEqual([403]);
    expect(await licenseError(fresh.client.activate())).toMatchObject({ code: "LICENSE_REVOKED", status: 403 });
  });

  it("an unknown key is LICENSE_NOT_FOUND", async () => {
    const { client } = realClient(server.url, "TZ-PRO-AAAA-BBBB-CCCC-DDDD");
    expect(await client.validateLicense()).toMatchObject({ valid: false, code: "LICENSE_NOT_FOUND" });
  });
});

// ---------------------------------------------------------------- signing keys

describe("against the real server: certificate signatures", () => {
  async function foreignJwks(kid: string): Promise<JsonWebKeySet> {
    const { publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    return { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "EdDSA" }] };
  }

  it("verifies against the server's published keys when configured with them", async () => {
    const published = await call(server.url, "/api/public-key");
    expect(published.status).toBe(200);
    // The plain JWKS stays valid for any JOSE library; keySetTokens vouch for the key set.
    expect(Array.isArray(published.body.keySetTokens)).toBe(true);
    const { key } = await issue("professional");
    const { client, statuses } = realClient(server.url, key, { jwks: published.body });
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
    expect(statuses("/api/public-key")).toEqual([]);
  });

  it("refuses the real server's certificate when the client trusts another key (CERTIFICATE_INVALID)", async () => {
    const { key } = await issue("professional");
    const { client } = realClient(server.url, key, { jwks: await foreignJwks("someone-else") });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/not trusted/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });
  });

  it("refuses it when a foreign key claims the server's kid (the signature does not verify)", async () => {
    const published = await call(server.url, "/api/public-key");
    const kid = published.body.keys[0].kid as string;
    expect(typeof kid).toBe("string");
    const { key } = await issue("professional");
    const { client } = realClient(server.url, key, { jwks: await foreignJwks(kid) });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/signature/);
  });
});

// ---------------------------------------------------------------- server stopped

describe("against the real server: the server process stopped", () => {
  it("answers from the cache within the grace period (OFFLINE_VALID), invalid after it", async () => {
    const ctx = await onlineThenStopped({ graceDays: 3 });
    const { client, clock } = ctx;
    const contact = await lastContact(ctx);

    clock.set(contact + DAY);
    const offline = await client.validateLicense();
    expect(offline).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    expect(offline.message).toMatch(/unreachable.*offline since/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("White Label Branding")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 5 });
    const status = await client.getLicenseStatus();
    expect(status).toMatchObject({
      valid: true,
      offline: true,
      code: "OFFLINE_VALID",
      license: { plan: "professional" },
    });
    expect(Date.parse(status.offlineValidUntil ?? "")).toBe(contact + 3 * DAY);
    expect(status.warnings.map((w) => w.code)).toContain("OFFLINE");
    // Calls that need the server throw a retryable error; nothing is retried blindly.
    const unreachable = await licenseError(client.recordTickets(1));
    expect(unreachable).toMatchObject({ code: "SERVER_UNREACHABLE", retryable: true });

    clock.set(contact + 3 * DAY - 60_000);
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "OFFLINE_VALID" });

    clock.set(contact + 3 * DAY + 60_000);
    const late = await client.validateLicense();
    expect(late).toMatchObject({ valid: false, code: "OFFLINE_GRACE_EXPIRED" });
    expect(late.message).toMatch(/grace period of 3 days ended/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });
    expect(await licenseError(client.assertWithinLimits({ clients: 1 }))).toMatchObject({
      code: "OFFLINE_GRACE_EXPIRED",
    });
  });

  it("stops at the real certificate's expiry when that comes first (CERTIFICATE_EXPIRED)", async () => {
    const ctx = await onlineThenStopped({ graceDays: 30 });
    const { client, clock } = ctx;
    const contact = await lastContact(ctx);

    clock.set(contact + 6 * DAY);
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    const until = Date.parse((await client.getLicenseStatus()).offlineValidUntil ?? "");
    // The server's certificates live 7 days (CERTIFICATE_TTL_SECONDS), well before 30 days of grace.
    expect(Math.abs(until - (contact + 7 * DAY))).toBeLessThan(5 * 60_000);

    clock.set(until + 60_000);
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_EXPIRED" });
    expect(result.message).toMatch(/expired at/);
  });

  it("refuses a clock moved back before the last server time (CLOCK_ROLLBACK) until the server is back", async () => {
    const ctx = await onlineThenStopped();
    const { client, clock } = ctx;
    const contact = await lastContact(ctx);

    clock.set(contact - 60_000); // within the allowed skew
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");
    clock.set(contact - 2 * 3_600_000);
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CLOCK_ROLLBACK" });
    expect(result.message).toMatch(/earlier than the last time seen/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);

    // Only server-signed times count: a clock that ran ahead and came back is not locked out.
    clock.set(contact + 30 * DAY);
    expect((await client.validateLicense()).valid).toBe(false);
    clock.set(contact + DAY);
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");

    // The server again (same port): answered online, whatever the local clock says.
    await startOwnServer({ port: ctx.own.port });
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
  });

  it("refuses a tampered license.json with CACHE_INVALID, without throwing, and rewrites it at the next contact", async () => {
    const ctx = await onlineThenStopped();
    const { client, clock, dataDir } = ctx;
    const file = path.join(dataDir, "license.json");
    const envelope = JSON.parse(fs.readFileSync(file, "utf8"));
    const data = Buffer.from(envelope.data, "base64");
    data[20] = (data[20] ?? 0) ^ 0x01;
    envelope.data = data.toString("base64");
    fs.writeFileSync(file, JSON.stringify(envelope));
    clock.advance(DAY);

    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CACHE_INVALID" });
    expect(result.message).toMatch(/tampered/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });
    expect(await client.getLicenseStatus()).toMatchObject({ valid: false, offline: true, code: "CACHE_INVALID" });

    await startOwnServer({ port: ctx.own.port });
    const online = await client.validateLicense();
    expect(online).toMatchObject({ valid: true, code: "VALID" });
    expect(online.message).toMatch(/previous cache discarded/);
    await Promise.all(ownServers.splice(0).map(stopServer));
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
  });

  it("refuses a license.json copied to another installation (another instance id) with CACHE_INVALID", async () => {
    const own = await startOwnServer();
    const { key } = await issue("professional");
    const a = realClient(own.url, key);
    const b = realClient(own.url, key);
    expect((await a.client.validateLicense()).valid).toBe(true);
    expect((await b.client.validateLicense()).valid).toBe(true);
    expect(fs.existsSync(path.join(a.dataDir, "license.key"))).toBe(false); // the key is derived, not stored
    await own.stop();

    fs.copyFileSync(path.join(b.dataDir, "license.json"), path.join(a.dataDir, "license.json"));
    const result = await a.client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CACHE_INVALID" });
    expect(result.message).toMatch(/copied from another instance/);
    expect(await a.client.getLicenseStatus()).toMatchObject({ valid: false, code: "CACHE_INVALID", status: "invalid" });
    // The copied file itself is fine where it belongs.
    expect(await b.client.validateLicense()).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
  });
});

// ---------------------------------------------------------------- 429 and 503

describe("against the real server: 429 from the per-key budget", () => {
  it("retries after the server's Retry-After (capped by maxRetryAfterMs), then falls back to the cache", async () => {
    // 2 points a minute: leased one at a time (floor(2/20) → 1), so the 3rd request in the minute is 429.
    const limited = await startOwnServer({ env: { RATE_LIMIT_KEY_PER_MINUTE: "2" } });
    const { key } = await issue("professional");
    const ctx = realClient(limited.url, key, { maxRetries: 2, maxRetryAfterMs: 120_000 });
    const { client, delays, wire } = ctx;

    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" }); // activation: 1 point
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" }); // status: 2 points
    expect(delays).toEqual([]);

    const result = await client.validateLicense();
    const refused = wire.filter((w) => w.status === 429);
    expect(ctx.statuses("/api/license-status")).toEqual([200, 429, 429, 429]);
    for (const w of refused) expect(Number(w.retryAfter)).toBeGreaterThan(0);
    // Slept exactly the server's Retry-After before each retry (not the 500 ms backoff).
    expect(delays).toEqual(refused.slice(0, 2).map((w) => Number(w.retryAfter) * 1000));
    expect(result).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    expect(result.message).toMatch(/429 RATE_LIMITED/);

    // Another client on the same installation with a lower cap: every wait is the cap.
    const capped = realClient(limited.url, key, {
      dataDir: ctx.dataDir,
      maxRetries: 3,
      maxRetryAfterMs: 1_500,
    });
    expect(capped.client.instanceId).toBe(client.instanceId);
    const error = await licenseError(capped.client.recordTickets(1));
    expect(error).toMatchObject({ code: "RATE_LIMITED", status: 429, retryable: true });
    // POST /api/usage is repeated after 429 (a refused request changes nothing).
    expect(capped.statuses("/api/usage")).toEqual([429, 429, 429, 429]);
    expect(capped.delays.slice(-3)).toEqual([1_500, 1_500, 1_500]);
    expect(capped.delays.every((d) => d === 1_500)).toBe(true);

    // Nothing was counted: the other server (its own budget lease) sees no tickets.
    const status = await call(server.url, "/api/license-status", { key });
    expect(status.body.usage.ticketsThisMonth).toBe(0);
  });
});

describe("against the real server: 503 during a database outage", () => {
  let proxy: TcpProxy;
  let outageServer: AppServer;
  let probeKey: string;

  beforeAll(async () => {
    proxy = await startTcpProxy(process.env.DATABASE_URL!);
    outageServer = await startAppServer({ env: serverEnv({ DATABASE_URL: proxy.url }) });
    ({ key: probeKey } = await issue("starter"));
  });
  afterEach(() => {
    proxy?.resume();
  });
  afterAll(async () => {
    await outageServer?.stop();
    await proxy?.close();
  });

  /** Resumes the database and waits until the server answers from it again. */
  async function endOutage() {
    proxy.resume();
    const deadline = Date.now() + 30_000;
    let healthy = 0;
    while (Date.now() < deadline && healthy < 2) {
      const probe = await call(outageServer.url, "/api/license-status", { key: probeKey });
      healthy = probe.status === 200 ? healthy + 1 : 0;
      if (healthy < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(healthy).toBe(2);
  }

  it("retries 503 after Retry-After and succeeds when the outage ends during the retries", async () => {
    const { key } = await issue("professional");
    let during = 0;
    const ctx = realClient(outageServer.url, key, {
      maxRetries: 3,
      onSleep: async (_ms, n) => {
        if (n === during + 2) await endOutage(); // the database returns during the 2nd wait
      },
    });
    const { client, delays, statuses } = ctx;
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
    expect(delays).toEqual([]);

    proxy.pause();
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: true, code: "VALID" }); // online again, not from the cache
    expect(statuses("/api/license-status").slice(-3)).toEqual([503, 503, 200]);
    expect(ctx.wire.filter((w) => w.status === 503).every((w) => Number(w.retryAfter) > 0)).toBe(true);
    expect(delays).toEqual([2_000, 2_000]); // the server's Retry-After: 2

    // The same for a ticket reservation: repeated after 503, counted exactly once.
    during = delays.length;
    proxy.pause();
    const report = await client.recordTickets(3, 2);
    expect(report).toMatchObject({ remaining: 4997, usage: { ticketsThisMonth: 3, clients: 2 } });
    expect(statuses("/api/usage")).toEqual([503, 503, 200]);
    expect(delays.length).toBe(during + 2);
  });

  it("gives up after maxRetries: OFFLINE_VALID from the cache; recordTickets throws and counts nothing", async () => {
    const { key } = await issue("professional");
    const ctx = realClient(outageServer.url, key, { maxRetries: 2 });
    const { client, delays, statuses } = ctx;
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });

    proxy.pause();
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    expect(result.message).toMatch(/503 UNAVAILABLE/);
    expect(statuses("/api/license-status").slice(-3)).toEqual([503, 503, 503]);
    expect(delays).toEqual([2_000, 2_000]);

    const error = await licenseError(client.recordTickets(2));
    expect(error).toMatchObject({ code: "SERVER_UNREACHABLE", status: 503, retryable: true });
    expect(statuses("/api/usage")).toEqual([503, 503, 503]);

    await endOutage();
    const status = await client.getLicenseStatus();
    expect(status).toMatchObject({ valid: true, code: "VALID", usage: { ticketsThisMonth: 0 } });
  });
});
