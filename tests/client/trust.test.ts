/**
 * Offline trust the customer cannot forge (issue 8): trust anchors (shipped or configured keys),
 * trust-on-first-use only when chosen and never in production, key rotation only through a key
 * set that a trusted key signed, a cache whose key derives from the license key and instance id,
 * a forged cache refused, clock checks against server-signed times only, certificates that must
 * name this instance, the activation retry time, and answers whose valid/code/status agree.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CompactSign, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// The shipped key set, controllable per test (empty, like this repository's committed file).
const shipped = vi.hoisted(() => ({ keys: [] as Array<Record<string, unknown>> }));
vi.mock("../../packages/client/src/vendor-keys", () => ({ VENDOR_JWKS: shipped }));

import { cacheAad, deriveCacheKey, hashKey } from "../../packages/client/src/cache";
import { createLicenseClient, LicenseError, proveKeys } from "../../packages/client/src/index";
import { DAY, makeClient, tempDir } from "./support/helpers";
import { type StubServer, startStubServer } from "./support/stub-server";

let stub: StubServer;

beforeEach(async () => {
  shipped.keys = [];
  stub = await startStubServer();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await stub.stop();
});

/** What a local administrator can do: derive the cache key (they know key and instance id). */
function readCache(dataDir: string, licenseKey: string, instanceId: string): Record<string, unknown> {
  const env = JSON.parse(fs.readFileSync(path.join(dataDir, "license.json"), "utf8"));
  const decipher = createDecipheriv(
    "aes-256-gcm",
    deriveCacheKey(licenseKey, instanceId),
    Buffer.from(env.iv, "base64"),
  );
  decipher.setAAD(cacheAad(instanceId, hashKey(licenseKey)));
  decipher.setAuthTag(Buffer.from(env.tag, "base64"));
  const plain = Buffer.concat([decipher.update(Buffer.from(env.data, "base64")), decipher.final()]);
  return JSON.parse(plain.toString("utf8"));
}

function writeCache(dataDir: string, licenseKey: string, instanceId: string, data: unknown): void {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveCacheKey(licenseKey, instanceId), iv);
  cipher.setAAD(cacheAad(instanceId, hashKey(licenseKey)));
  const ct = Buffer.concat([cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
  const envelope = {
    v: 2,
    alg: "A256GCM",
    kdf: "HKDF-SHA256",
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    data: ct.toString("base64"),
  };
  fs.writeFileSync(path.join(dataDir, "license.json"), JSON.stringify(envelope));
}

async function attackerKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  return { privateKey, jwk, jwks: { keys: [jwk] } };
}

describe("trust anchors", () => {
  it("refuses to start without an anchor unless trust-on-first-use is chosen", () => {
    expect(() => createLicenseClient({ serverUrl: stub.url, licenseKey: "TZ-PRO-X", dataDir: tempDir() })).toThrow(
      TypeError,
    );
    expect(() => createLicenseClient({ serverUrl: stub.url, licenseKey: "TZ-PRO-X", dataDir: tempDir() })).toThrow(
      /no trust anchor.*jwks.*vendor-keys.*trustOnFirstUse/,
    );
  });

  it("trust-on-first-use works only when chosen, and never with NODE_ENV=production", async () => {
    const lic = stub.addLicense({ plan: "starter" });
    const { client } = makeClient(stub.url, lic.key, { trustOnFirstUse: true });
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
    await client.validateLicense();
    await client.getLicenseStatus();
    expect(stub.countRequests("/api/public-key")).toBe(1); // pinned at first contact, fetched once

    vi.stubEnv("NODE_ENV", "production");
    expect(() => makeClient(stub.url, lic.key, { trustOnFirstUse: true })).toThrow(TypeError);
    expect(() => makeClient(stub.url, lic.key, { trustOnFirstUse: true })).toThrow(/refused when NODE_ENV=production/);
    // An anchor is fine in production.
    expect(() => makeClient(stub, lic.key)).not.toThrow();
  });

  it("trusts the shipped vendor keys when no jwks is configured", async () => {
    shipped.keys = stub.plainJwks().keys;
    const lic = stub.addLicense({ plan: "professional" });
    const { client } = makeClient(stub.url, lic.key);
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
    expect(stub.countRequests("/api/public-key")).toBe(0);
  });

  it("a configured jwks replaces the shipped set", async () => {
    shipped.keys = stub.plainJwks().keys;
    const other = await attackerKey(stub.kid); // even under the server's kid
    const lic = stub.addLicense({ plan: "professional" });
    const { client } = makeClient(stub.url, lic.key, { jwks: other.jwks, maxRetries: 0 });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/signature/);
  });
});

describe("license files are not online certificates", () => {
  it("refuses a certificate whose JWS typ is tz-license-file+jwt: CERTIFICATE_INVALID", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    stub.setCertificateTyp("tz-license-file+jwt");
    const { client } = makeClient(stub, lic.key);
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/license file .*not an online certificate/);
    stub.setCertificateTyp("JWT");
    expect(await makeClient(stub, lic.key).client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
  });
});

describe("key rotation", () => {
  it("learns a new key from a key set the trusted key signed, and re-proves it offline from the anchors", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const anchor = stub.plainJwks();
    const { client, clock, dataDir } = makeClient(stub.url, lic.key, { jwks: anchor, maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    const newKid = await stub.rotateKey();
    const after = await client.validateLicense();
    expect(after).toMatchObject({ valid: true, code: "VALID" });
    expect(stub.countRequests("/api/public-key")).toBe(1);
    const cached = readCache(dataDir, lic.key, client.instanceId);
    expect((cached.keySetTokens as string[]).length).toBeGreaterThan(0);

    await stub.stop();
    clock.advance(DAY);
    expect((await client.validateLicense()).code).toBe("OFFLINE_VALID");
    // A second rotation learned offline is impossible; and the proof is re-verified on load:
    // a client anchored on another key does not accept the learned key from the same cache.
    const stranger = await attackerKey("old");
    const other = makeClient("http://127.0.0.1:9", lic.key, {
      jwks: stranger.jwks,
      dataDir,
      instanceId: client.instanceId,
      maxRetries: 0,
      now: clock.now,
    });
    const refused = await other.client.validateLicense();
    expect(refused).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(refused.message).toContain(newKid);
  });

  it("refuses a new key that no trusted key vouched for", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    await stub.rotateKey({ vouched: false });
    const result = await client.validateLicense();
    expect(result).toMatchObject({
      valid: false,
      code: "CERTIFICATE_INVALID",
      message: expect.stringMatching(/not trusted/),
    });
    expect((await client.getLicenseStatus()).status).toBe("invalid");
  });

  it("proveKeys follows a chain A → B → C and ignores tokens from untrusted keys", async () => {
    const a = await attackerKey("a");
    const b = await attackerKey("b");
    const c = await attackerKey("c");
    const x = await attackerKey("x");
    const sign = (signer: typeof a, keys: unknown[]) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify({ keys, iat: 1 })))
        .setProtectedHeader({ alg: "EdDSA", kid: signer.jwk.kid })
        .sign(signer.privateKey);
    const tokens = [await sign(b, [b.jwk, c.jwk]), await sign(x, [x.jwk]), await sign(a, [a.jwk, b.jwk])];
    const { jwks, proofs } = await proveKeys(a.jwks, tokens);
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(["a", "b", "c"]);
    expect(proofs).toHaveLength(2);
    expect((await proveKeys(x.jwks, tokens.slice(0, 1))).jwks.keys.map((k) => k.kid)).toEqual(["x"]);
  });
});

describe("forged cache", () => {
  it("refuses a re-encrypted cache with a self-signed Enterprise certificate and its own keys", async () => {
    const lic = stub.addLicense({ plan: "starter" });
    const { client, clock, dataDir } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    await stub.stop();

    // The attacker: knows the key and the instance id, so derives the cache key and rewrites it.
    const genuine = readCache(dataDir, lic.key, client.instanceId);
    const evil = await attackerKey(stub.kid); // same kid as the vendor's key, to look right
    const evil2 = await attackerKey("evil-rotation");
    const iat = Math.floor(clock.ms / 1000);
    const certificate = await new SignJWT({
      lid: lic.id,
      plan: "enterprise",
      features: ["white_label_branding", "enterprise_dashboard"],
      limits: { maxClients: 9999, maxTicketsPerMonth: 1_000_000, maxActivations: 999 },
      instanceId: client.instanceId,
    })
      .setProtectedHeader({ alg: "EdDSA", kid: "evil-rotation", typ: "JWT" })
      .setSubject(lic.id)
      .setIssuedAt(iat)
      .setExpirationTime(Math.floor(Date.parse("2035-01-01T00:00:00Z") / 1000))
      .sign(evil2.privateKey);
    // A "rotation proof" signed by the attacker's key posing under the vendor's kid.
    const proof = await new CompactSign(new TextEncoder().encode(JSON.stringify({ keys: [evil.jwk, evil2.jwk], iat })))
      .setProtectedHeader({ alg: "EdDSA", kid: stub.kid })
      .sign(evil.privateKey);
    writeCache(dataDir, lic.key, client.instanceId, {
      ...genuine,
      certificate,
      status: { ...(genuine.status as object), code: "VALID", limits: { maxClients: 9999 } },
      keySetTokens: [proof],
      tofuJwks: { keys: [evil.jwk, evil2.jwk] },
      pinnedJwks: { keys: [evil.jwk, evil2.jwk] },
      jwks: { keys: [evil.jwk, evil2.jwk] },
      signedHighWater: new Date(iat * 1000).toISOString(),
    });

    clock.advance(DAY);
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/not trusted/);
    expect(await client.checkFeatureAccess("White Label Branding")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });
    expect(await client.getLicenseStatus()).toMatchObject({ valid: false, status: "invalid", offline: true });

    // A fresh process on that folder (restart) refuses it too.
    const restarted = makeClient("http://127.0.0.1:9", lic.key, {
      jwks: stub.plainJwks(),
      dataDir,
      maxRetries: 0,
      now: clock.now,
    });
    expect(await restarted.client.validateLicense()).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
  });

  it("counts offline grace from the signed iat: a forged lastServerContact in the future buys nothing", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, clock, dataDir } = makeClient(stub, lic.key, { maxRetries: 0, graceDays: 7 });
    expect((await client.validateLicense()).valid).toBe(true);
    await stub.stop();
    const contact = clock.ms;
    const genuine = readCache(dataDir, lic.key, client.instanceId);
    writeCache(dataDir, lic.key, client.instanceId, {
      ...genuine,
      lastServerContact: "2035-01-01T00:00:00.000Z",
      highWater: "2035-01-01T00:00:00.000Z",
    });
    clock.set(contact + 8 * DAY);
    const late = await client.validateLicense();
    expect(late).toMatchObject({ valid: false, code: "OFFLINE_GRACE_EXPIRED" });
    const status = await client.getLicenseStatus();
    expect(status.status).toBe("expired");
    expect(Math.abs(Date.parse(status.lastServerContact ?? "") - contact)).toBeLessThan(2_000);
  });
});

describe("clock", () => {
  it("offline with the clock +30 days, then back to the true time: never locked out", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, clock } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect((await client.validateLicense()).valid).toBe(true);
    await stub.stop();
    const contact = clock.ms;
    for (const offset of [30 * DAY, 31 * DAY]) {
      clock.set(contact + offset);
      expect((await client.validateLicense()).valid).toBe(false);
    }
    clock.set(contact + 2 * 3_600_000);
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    // And a clock set earlier than the newest signed iat (minus skew) is CLOCK_ROLLBACK.
    clock.set(contact - 10 * 60_000);
    expect(await client.validateLicense()).toMatchObject({ valid: false, code: "CLOCK_ROLLBACK" });
    expect((await client.getLicenseStatus()).status).toBe("invalid");
  });
});

describe("certificates name this instance", () => {
  it("refuses a certificate with instanceId null", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    stub.setCertificateInstance(null);
    const { client } = makeClient(stub, lic.key, { maxRetries: 0 });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "CERTIFICATE_INVALID" });
    expect(result.message).toMatch(/names no instance/);
    expect((await client.getLicenseStatus()).status).toBe("invalid");
  });
});

describe("ACTIVATION_LIMIT_REACHED", () => {
  it("posts activation once, answers the stored refusal until Retry-After, across restarts", async () => {
    const lic = stub.addLicense({ plan: "trial" }); // one activation
    const first = makeClient(stub, lic.key);
    expect((await first.client.validateLicense()).valid).toBe(true);
    expect(stub.countRequests("/admin/activate-license")).toBe(1);

    const second = makeClient(stub, lic.key);
    const refused = await second.client.validateLicense();
    expect(refused).toMatchObject({ valid: false, code: "ACTIVATION_LIMIT_REACHED" });
    expect(stub.countRequests("/admin/activate-license")).toBe(2);
    for (let i = 0; i < 5; i++) {
      second.clock.advance(60_000);
      const again = await second.client.validateLicense();
      expect(again).toMatchObject({ valid: false, code: "ACTIVATION_LIMIT_REACHED" });
      expect(again.message).toMatch(/next automatic activation attempt after/);
    }
    expect(await second.client.getLicenseStatus()).toMatchObject({ valid: false, status: "invalid" });
    // A restart (a new client on the same folder) still waits.
    const restarted = makeClient(stub, lic.key, { dataDir: second.dataDir, now: second.clock.now });
    expect((await restarted.client.validateLicense()).code).toBe("ACTIVATION_LIMIT_REACHED");
    expect(stub.countRequests("/admin/activate-license")).toBe(2);

    // The slot frees; after the server's 600 s the next check tries again, once.
    await first.client.deactivate();
    second.clock.advance(600_000);
    expect(await second.client.validateLicense()).toMatchObject({ valid: true, code: "TRIAL" });
    expect(stub.countRequests("/admin/activate-license")).toBe(3);
  });

  it("an explicit activate() asks the server (an operator's action) and reports the retry time", async () => {
    const lic = stub.addLicense({ plan: "trial" });
    const first = makeClient(stub, lic.key);
    expect((await first.client.validateLicense()).valid).toBe(true);
    const second = makeClient(stub, lic.key);
    const err = await second.client.activate().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LicenseError);
    expect(err).toMatchObject({ code: "ACTIVATION_LIMIT_REACHED", retryAfterSeconds: 600, details: { swapsLeft: 1 } });
    // …and automatic checks then wait.
    expect((await second.client.validateLicense()).code).toBe("ACTIVATION_LIMIT_REACHED");
    expect(stub.countRequests("/admin/activate-license")).toBe(2);
  });
});

describe("consistent answers", () => {
  it("SUPERSEDED_GRACE is valid/expiring_soon online and offline; LICENSE_SUPERSEDED is expired", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    lic.state = "superseded";
    lic.graceEndsAt = new Date(Date.now() + 14 * DAY);
    lic.replacementKey = "TZ-ENT-AAAA-BBBB-CCCC-DDDD";
    const { client, clock } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "SUPERSEDED_GRACE" });
    const online = await client.getLicenseStatus();
    expect(online).toMatchObject({
      valid: true,
      status: "expiring_soon",
      replacement: { key: "TZ-ENT-****-****-****-DDDD" },
    });
    lic.graceEndsAt = new Date(Date.now() - 1000);
    expect(await client.getLicenseStatus()).toMatchObject({
      valid: false,
      code: "LICENSE_SUPERSEDED",
      status: "expired",
    });

    lic.graceEndsAt = new Date(Date.now() + 14 * DAY);
    expect((await client.validateLicense()).valid).toBe(true);
    await stub.stop();
    clock.advance(DAY);
    expect(await client.getLicenseStatus()).toMatchObject({
      valid: true,
      code: "OFFLINE_VALID",
      status: "expiring_soon",
    });
  });

  it("never answers a refusal with a valid status", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    stub.setForeignSigner(true);
    const { client } = makeClient(stub, lic.key, { maxRetries: 0 });
    expect(await client.getLicenseStatus()).toMatchObject({
      valid: false,
      code: "CERTIFICATE_INVALID",
      status: "invalid",
    });
  });
});

describe("limits: what remains", () => {
  it("checks tickets against the month's remainder and clients against what other installations leave", async () => {
    const lic = stub.addLicense({ plan: "professional" }); // 15 clients, 5000 tickets
    const a = makeClient(stub, lic.key);
    const b = makeClient(stub, lic.key);
    await a.client.recordTickets(4990, 10);
    expect(await b.client.recordTickets(0, 2)).toMatchObject({ usage: { clients: 12 } }); // clients alone
    expect(stub.requests.filter((r) => r.path === "/api/usage").at(-1)?.body).toEqual({ tickets: 0, clients: 2 });

    await expect(b.client.assertWithinLimits({ tickets: 10, clients: 5 })).resolves.toMatchObject({ maxClients: 15 });
    await expect(b.client.assertWithinLimits({ tickets: 11 })).rejects.toMatchObject({ code: "USAGE_LIMIT_EXCEEDED" });
    const c = await b.client.assertWithinLimits({ clients: 6 }).catch((e: unknown) => e);
    expect(c).toMatchObject({ code: "CLIENT_LIMIT_EXCEEDED" });
    expect((c as Error).message).toMatch(/other installations report 10 \(5 left here\)/);
    // A's own 10 are not counted against itself (once it has heard of B's 2).
    await a.client.validateLicense();
    await expect(a.client.assertWithinLimits({ clients: 13 })).resolves.toBeTruthy();
    await expect(a.client.assertWithinLimits({ clients: 14 })).rejects.toMatchObject({ code: "CLIENT_LIMIT_EXCEEDED" });
  });
});
