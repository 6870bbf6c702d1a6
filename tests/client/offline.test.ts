import fs from "node:fs";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DAY, makeClient } from "./support/helpers";
import { type StubServer, startStubServer } from "./support/stub-server";

let stub: StubServer;

beforeEach(async () => {
  stub = await startStubServer();
});

afterEach(async () => {
  await stub.stop();
});

/** A client that has talked to the server once, then the server goes away. */
async function onlineThenOffline(plan: "professional" | "trial" = "professional", graceDays = 7) {
  const lic = stub.addLicense({ plan });
  const ctx = makeClient(stub, lic.key, { graceDays, maxRetries: 1 });
  expect(await ctx.client.validateLicense()).toMatchObject({ valid: true });
  await stub.stop();
  return { ...ctx, lic };
}

describe("offline operation", () => {
  it("answers from the cached certificate within the grace period, then refuses", async () => {
    const { client, clock } = await onlineThenOffline("professional", 7);
    const contact = clock.ms;

    clock.advance(2 * DAY);
    const offline = await client.validateLicense();
    expect(offline.valid).toBe(true);
    expect(offline.code).toBe("OFFLINE_VALID");
    expect(offline.message).toMatch(/offline since/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("Enterprise Dashboard")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 5 });

    const status = await client.getLicenseStatus();
    expect(status.offline).toBe(true);
    expect(status.valid).toBe(true);
    expect(status.license?.plan).toBe("professional");
    expect(status.features.map((f) => f.key)).toContain("advanced_dashboard");
    expect(status.features.find((f) => f.key === "advanced_dashboard")?.name).toBe("Advanced Dashboard");
    expect(Date.parse(status.offlineValidUntil ?? "")).toBeCloseTo(contact + 7 * DAY, -4);

    // Just inside the grace period.
    clock.set(contact + 7 * DAY - 60_000);
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");

    // Past it.
    clock.set(contact + 7 * DAY + 60_000);
    const late = await client.validateLicense();
    expect(late.valid).toBe(false);
    expect(late.code).toBe("OFFLINE_GRACE_EXPIRED");
    expect(late.message).toMatch(/offline since .*grace period of 7 days ended/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });
    await expect(client.assertWithinLimits({ clients: 1 })).rejects.toMatchObject({ code: "OFFLINE_GRACE_EXPIRED" });
  });

  it("stops at the certificate's expiry when that comes before the grace period ends", async () => {
    await stub.stop();
    stub = await startStubServer({ certTtlDays: 2 });
    const lic = stub.addLicense({ plan: "professional" });
    const { client, clock } = makeClient(stub, lic.key, { graceDays: 7, maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    await stub.stop();
    clock.advance(1 * DAY);
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");
    clock.advance(1 * DAY + 10 * 60_000);
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_EXPIRED" });
    expect(result.message).toMatch(/expired at/);
  });

  it("refuses a restarted server whose signing key is not a trusted one", async () => {
    const lic = stub.addLicense({ plan: "starter" });
    const first = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await first.client.validateLicense()).valid).toBe(true);
    const port = new URL(stub.url).port;
    await stub.stop();
    first.clock.advance(DAY);
    expect((await first.client.validateLicense()).code).toBe("OFFLINE_VALID");
    // Same port, same license, new signing key that no trusted key vouches for: refused.
    stub = await startStubServer({ port: Number(port) });
    stub.addLicense({ key: lic.key, plan: "starter" });
    const result = await first.client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/not trusted/);
  });

  it("keeps using the cache when the server URL changes (the signature is what counts)", async () => {
    const { client, dataDir, clock, lic } = await onlineThenOffline();
    clock.advance(DAY);
    const moved = makeClient("http://127.0.0.1:9", lic.key, {
      jwks: stub.plainJwks(),
      dataDir,
      instanceId: client.instanceId,
      maxRetries: 0,
      now: clock.now,
    });
    expect((await moved.client.validateLicense()).code).toBe("OFFLINE_VALID");
    // Another key on the same data dir cannot even decrypt this license's cache.
    const other = makeClient("http://127.0.0.1:9", "TZ-ENT-0000-0000-0000-0000", {
      jwks: stub.plainJwks(),
      dataDir,
      maxRetries: 0,
    });
    expect((await other.client.validateLicense()).code).toBe("CACHE_INVALID");
  });

  it("says NO_CACHE when the server was never reached", async () => {
    const lic = stub.addLicense();
    await stub.stop();
    const { client } = makeClient(stub, lic.key, { maxRetries: 0 });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "NO_CACHE" });
    expect(result.message).toMatch(/unreachable/);
    expect(await client.checkFeatureAccess("ai_ticket_processing")).toBe(false);
    const status = await client.getLicenseStatus();
    expect(status).toMatchObject({ valid: false, offline: true, code: "NO_CACHE" });
  });

  it("does not resurrect a license the server refused", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, clock } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    lic.state = "revoked";
    expect((await client.validateLicense()).code).toBe("LICENSE_REVOKED");
    await stub.stop();
    clock.advance(DAY);
    expect(await client.validateLicense()).toMatchObject({ valid: false, code: "LICENSE_REVOKED" });
    expect(await client.getLicenseStatus()).toMatchObject({ valid: false, status: "invalid", offline: true });
  });

  it("refuses when the clock moved back before the last server time", async () => {
    const { client, clock } = await onlineThenOffline();
    const contact = clock.ms;
    clock.set(contact - 2 * 60_000); // within the 5-minute skew
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");
    clock.set(contact - 3 * 3_600_000);
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CLOCK_ROLLBACK" });
    expect(result.message).toMatch(/earlier than the last time seen/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
  });

  it("a clock that jumped ahead and back never locks the installation out", async () => {
    const { client, clock } = await onlineThenOffline();
    const contact = clock.ms;
    clock.set(contact + 30 * DAY); // offline, clock 30 days ahead: honestly expired…
    const ahead = await client.validateLicense();
    expect(ahead.valid).toBe(false);
    expect(["OFFLINE_GRACE_EXPIRED", "CERTIFICATE_EXPIRED"]).toContain(ahead.code);
    expect(await client.getLicenseStatus()).toMatchObject({ valid: false, status: "expired" });
    clock.set(contact + DAY); // …and back to the true time: the signed times still say fine
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    expect((await client.getLicenseStatus()).status).toBe("valid");
  });
});

describe("tampered or foreign cache", () => {
  it("treats a modified license.json as no cache, without throwing", async () => {
    const { client, dataDir, clock } = await onlineThenOffline();
    const file = path.join(dataDir, "license.json");
    const envelope = JSON.parse(fs.readFileSync(file, "utf8"));
    const data = Buffer.from(envelope.data, "base64");
    data[10] = (data[10] ?? 0) ^ 0x01;
    envelope.data = data.toString("base64");
    fs.writeFileSync(file, JSON.stringify(envelope));
    clock.advance(DAY);
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CACHE_INVALID" });
    expect(result.message).toMatch(/tampered/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    expect((await client.getLicenseStatus()).code).toBe("CACHE_INVALID");
  });

  it("treats garbage as no cache", async () => {
    const { client, dataDir } = await onlineThenOffline();
    fs.writeFileSync(path.join(dataDir, "license.json"), '{"valid": true, "plan": "enterprise"}');
    expect(await client.validateLicense()).toMatchObject({ valid: false, code: "CACHE_INVALID" });
  });

  it("refuses a cache copied to another instance id (same key, same folder)", async () => {
    const { dataDir, lic } = await onlineThenOffline();
    const other = makeClient("http://127.0.0.1:9", lic.key, {
      jwks: stub.plainJwks(),
      dataDir,
      instanceId: "another-instance",
      maxRetries: 0,
    });
    const result = await other.client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CACHE_INVALID" });
    expect(result.message).toMatch(/copied from another instance/);
  });

  it("refuses a cache encrypted with another cacheSecret", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const a = makeClient(stub, lic.key, { cacheSecret: "keyring-secret-1", maxRetries: 0 });
    expect((await a.client.validateLicense()).valid).toBe(true);
    await stub.stop();
    const b = makeClient("http://127.0.0.1:9", lic.key, {
      jwks: stub.plainJwks(),
      dataDir: a.dataDir,
      cacheSecret: "keyring-secret-2",
      maxRetries: 0,
    });
    expect(await b.client.validateLicense()).toMatchObject({ valid: false, code: "CACHE_INVALID" });
    a.clock.advance(DAY);
    expect((await a.client.validateLicense()).code).toBe("OFFLINE_VALID");
  });

  it("refuses a license.json copied from another installation", async () => {
    const a = await onlineThenOffline();
    stub = await startStubServer();
    const lic = stub.addLicense({ plan: "enterprise" });
    const b = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await b.client.validateLicense()).valid).toBe(true);
    await stub.stop();
    fs.copyFileSync(path.join(b.dataDir, "license.json"), path.join(a.dataDir, "license.json"));
    expect(await a.client.validateLicense()).toMatchObject({ valid: false, code: "CACHE_INVALID" });
  });

  it("replaces an invalid cache at the next successful contact", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, dataDir } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    fs.writeFileSync(path.join(dataDir, "license.json"), "not json");
    const online = await client.validateLicense();
    expect(online.valid).toBe(true);
    expect(online.message).toMatch(/previous cache discarded/);
    await stub.stop();
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");
  });
});

describe("certificate signatures", () => {
  it("refuses a certificate signed by a key other than the published one", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    stub.setForeignSigner(true);
    const { client } = makeClient(stub, lic.key, { maxRetries: 0 });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/signature/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
  });

  it("keeps the good cached certificate when the server starts sending forged ones", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, clock } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    stub.setForeignSigner(true);
    expect((await client.validateLicense()).code).toBe("CERTIFICATE_INVALID");
    await stub.stop();
    clock.advance(DAY);
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");
  });

  it("refuses a certificate issued to another instance", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    stub.setCertificateInstance("somebody-else");
    const { client } = makeClient(stub, lic.key, { maxRetries: 0 });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/somebody-else/);
  });

  it("verifies against configured keys instead of pinning", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const good = makeClient(stub, lic.key, { jwks: stub.jwks, maxRetries: 0 });
    expect((await good.client.validateLicense()).valid).toBe(true);
    expect(stub.countRequests("/api/public-key")).toBe(0);

    const other = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const otherJwks = { keys: [{ ...(await exportJWK(other.publicKey)), kid: "someone-else", alg: "EdDSA" }] };
    const wrong = makeClient(stub, lic.key, { jwks: otherJwks, maxRetries: 0 });
    const result = await wrong.client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/not trusted/);
  });
});
