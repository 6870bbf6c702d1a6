/**
 * The offline certificate: a compact JWS any JOSE library verifies against
 * GET /api/public-key. Verified here with `jose`, as an installation would.
 */

import { activateLicense } from "@ticketzero/core/license/activations";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { PLANS } from "@ticketzero/core/license/plans";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { call, serverEnv, testEmail } from "../support/http";

const DAY = 86_400_000;
let server: AppServer;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  server = await startAppServer({ env: serverEnv() });
  const keys = await call(server.url, "/api/public-key");
  expect(keys.status).toBe(200);
  expect(keys.body.keys.length).toBeGreaterThan(0);
  for (const key of keys.body.keys)
    expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", kid: expect.any(String) });
  jwks = createLocalJWKSet(keys.body);
});
afterAll(async () => {
  await server?.stop();
});

const verify = (token: string) =>
  jwtVerify<JWTPayload & Record<string, unknown>>(token, jwks, { algorithms: ["EdDSA"] });

/** The token with the character at `index` replaced by a different one. */
function tamper(token: string, index: number): string {
  const c = token[index]!;
  const replacement = c === "A" ? "B" : "A";
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}

describe("certificate", () => {
  it("verifies with jose and carries the license's claims", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: testEmail("cert") }, { actor: "test" });
    await activateLicense({ licenseKey: key, instanceId: "cert-inst" }, { actor: "test" });
    const status = await call(server.url, "/api/license-status", { key, instanceId: "cert-inst" });
    expect(status.status).toBe(200);
    const token: string = status.body.certificate;
    expect(token.split(".")).toHaveLength(3);

    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe("EdDSA");
    expect(header.kid).toBeTruthy();

    const { payload } = await verify(token);
    expect(payload.lid).toBe(license.id);
    expect(payload.sub).toBe(license.id);
    expect(payload.plan).toBe("professional");
    expect(payload.features).toEqual(PLANS.professional.features);
    expect(payload.features).toEqual(status.body.features.map((f: { key: string }) => f.key));
    expect(payload.limits).toEqual({ maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 5 });
    expect(payload.instanceId).toBe("cert-inst");
    expect(payload.iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(payload.exp).toBeGreaterThan(payload.iat!);
    expect(payload.exp).toBeLessThanOrEqual(Math.floor(license.expiresAt.getTime() / 1000));
  });

  it("never outlives the license", async () => {
    const expiresAt = new Date(Date.now() + 2 * DAY);
    const { key } = await issueLicense(
      { plan: "starter", email: testEmail("cert-short"), expiresAt },
      { actor: "test" },
    );
    await activateLicense({ licenseKey: key, instanceId: "short-lived" }, { actor: "test" });
    const status = await call(server.url, "/api/license-status", { key, instanceId: "short-lived" });
    const { payload } = await verify(status.body.certificate);
    expect(payload.exp).toBe(Math.floor(expiresAt.getTime() / 1000));
    expect(payload.instanceId).toBe("short-lived");
    expect(payload.plan).toBe("starter");
  });

  it("goes only to an activated installation: none without an instance id, or for one without a slot", async () => {
    const { key } = await issueLicense(
      { plan: "starter", email: testEmail("cert-unactivated"), limits: { maxActivations: 1 } },
      { actor: "test" },
    );
    const anonymous = await call(server.url, "/api/license-status", { key });
    expect(anonymous.body).toMatchObject({ valid: true, activation: null });
    expect(anonymous.body).not.toHaveProperty("certificate");
    await activateLicense({ licenseKey: key, instanceId: "holder" }, { actor: "test" });
    const refused = await call(server.url, "/admin/activate-license", {
      body: { licenseKey: key, instanceId: "sixth" },
    });
    expect(refused.status).toBe(409);
    const outsider = await call(server.url, "/api/license-status", { key, instanceId: "sixth" });
    expect(outsider.body).toMatchObject({ valid: true, activation: null });
    expect(outsider.body).not.toHaveProperty("certificate");
    expect(outsider.body.warnings.map((w: { code: string }) => w.code)).toContain("INSTANCE_NOT_ACTIVATED");
  });

  it("an unusable license gets no certificate", async () => {
    const { key } = await issueLicense(
      { plan: "starter", email: testEmail("cert-expired"), expiresAt: new Date(Date.now() - DAY) },
      { actor: "test" },
    );
    await activateLicense({ licenseKey: key, instanceId: "too-late" }, { actor: "test" }).catch(() => {});
    const status = await call(server.url, "/api/license-status", { key, instanceId: "too-late" });
    expect(status.body).toMatchObject({ valid: false });
    expect(status.body).not.toHaveProperty("certificate");
  });

  it("changing one character of the payload or the signature makes verification fail", async () => {
    const { key } = await issueLicense({ plan: "enterprise", email: testEmail("cert-tamper") }, { actor: "test" });
    await activateLicense({ licenseKey: key, instanceId: "tamper" }, { actor: "test" });
    const token: string = (await call(server.url, "/api/license-status", { key, instanceId: "tamper" })).body
      .certificate;
    await expect(verify(token)).resolves.toBeTruthy();
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const payloadStart = header.length + 1;
    const signatureStart = payloadStart + payload.length + 1;
    const positions = [
      payloadStart,
      payloadStart + Math.floor(payload.length / 2),
      signatureStart - 3,
      signatureStart,
      signatureStart + Math.floor(signature.length / 2),
      signatureStart + signature.length - 3,
      0,
    ];
    for (const index of positions) {
      const forged = tamper(token, index);
      expect(forged).not.toBe(token);
      await expect(verify(forged), `changed index ${index}`).rejects.toThrow();
    }
  });
});

describe("published key set (GET /api/public-key)", () => {
  it("is a plain JWKS for any JOSE library plus keySetTokens: the key set signed by each of its keys", async () => {
    const published = await call(server.url, "/api/public-key");
    const body = published.body as { keys: Array<{ kid: string }>; keySetTokens: string[] };
    expect(body.keySetTokens).toHaveLength(body.keys.length);
    const set = createLocalJWKSet({ keys: body.keys as never[] });
    for (const [index, token] of body.keySetTokens.entries()) {
      const header = decodeProtectedHeader(token);
      expect(header).toMatchObject({ alg: "EdDSA", typ: "jwk-set+jwt", kid: body.keys[index]?.kid });
      const { payload } = await compactVerify(token, set, { algorithms: ["EdDSA"] });
      const signed = JSON.parse(new TextDecoder().decode(payload));
      expect(signed.keys).toEqual(body.keys);
      expect(typeof signed.iat).toBe("number");
    }
  });
});
