import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLicenseClient, LicenseError } from "../../packages/client/src/index";
import { makeClient, tempDir } from "./support/helpers";
import { type StubServer, startStubServer } from "./support/stub-server";

let stub: StubServer;

beforeEach(async () => {
  stub = await startStubServer();
});

afterEach(async () => {
  await stub.stop();
});

async function expectLicenseError(promise: Promise<unknown>, code: string): Promise<LicenseError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LicenseError);
  expect((err as LicenseError).code).toBe(code);
  return err as LicenseError;
}

describe("activation and status", () => {
  it("activates itself on first use with the key as Bearer and a stable instance id", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, dataDir } = makeClient(stub, lic.key, { instanceName: "msp-east" });

    expect(client.instanceId).toMatch(/^tz-[0-9a-f]+$/);
    expect(fs.readFileSync(path.join(dataDir, "instance-id"), "utf8").trim()).toBe(client.instanceId);

    const result = await client.validateLicense();
    expect(result).toEqual({ valid: true, code: "VALID", message: "License is valid" });

    const activation = stub.requests.find((r) => r.path === "/admin/activate-license");
    expect(activation?.method).toBe("POST");
    expect(activation?.body).toEqual({ licenseKey: lic.key, instanceId: client.instanceId, instanceName: "msp-east" });
    expect(activation?.headers.authorization).toBe(`Bearer ${lic.key}`);
    expect(lic.activations.has(client.instanceId)).toBe(true);

    // Later checks use the status endpoint and never activate again.
    await client.validateLicense();
    await client.validateLicense();
    expect(stub.countRequests("/admin/activate-license")).toBe(1);
    const statusCalls = stub.requests.filter((r) => r.path === "/api/license-status");
    expect(statusCalls.length).toBeGreaterThanOrEqual(2);
    for (const r of statusCalls) {
      expect(r.headers.authorization).toBe(`Bearer ${lic.key}`);
      expect(r.headers["x-instance-id"]).toBe(client.instanceId);
    }

    // A second client on the same data dir keeps the instance id and does not re-activate.
    const again = createLicenseClient({ serverUrl: stub.url, licenseKey: lic.key, dataDir, jwks: stub.plainJwks() });
    expect(again.instanceId).toBe(client.instanceId);
    expect((await again.validateLicense()).valid).toBe(true);
    expect(stub.countRequests("/admin/activate-license")).toBe(1);
    expect(lic.activations.size).toBe(1);
  });

  it("returns the server's status body with a verified certificate", async () => {
    const lic = stub.addLicense({ plan: "starter" });
    const { client } = makeClient(stub, lic.key, { instanceId: "host-a.example:1" });
    const status = await client.getLicenseStatus();
    expect(status.valid).toBe(true);
    expect(status.offline).toBeUndefined();
    expect(status.license?.plan).toBe("starter");
    expect(status.license?.key).toContain("****");
    expect(status.limits).toEqual({ maxClients: 5, maxTicketsPerMonth: 1000, maxActivations: 2 });
    expect(status.activation?.instanceId).toBe("host-a.example:1");
    expect(typeof status.certificate).toBe("string");
  });

  it("gates features by key or display name, case-insensitively", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client } = makeClient(stub, lic.key);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("advanced_dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("  ADVANCED dashboard ")).toBe(true);
    expect(await client.checkFeatureAccess("multi-llm support")).toBe(true);
    expect(await client.checkFeatureAccess("Enterprise Dashboard")).toBe(false);
    expect(await client.checkFeatureAccess("white_label_branding")).toBe(false);
    expect(await client.checkFeatureAccess("")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 5 });
  });

  it("follows the signed certificate's features, not only the status body", async () => {
    const lic = stub.addLicense({ plan: "trial" });
    const { client } = makeClient(stub, lic.key);
    expect(await client.checkFeatureAccess("Basic Dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("Email Support")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 2, maxTicketsPerMonth: 100, maxActivations: 1 });
  });

  it("reports unknown, revoked and expired licenses as invalid with the server's codes", async () => {
    const missing = makeClient(stub, "TZ-PRO-0000-0000-0000-0000");
    expect(await missing.client.validateLicense()).toMatchObject({ valid: false, code: "LICENSE_NOT_FOUND" });
    expect(await missing.client.checkFeatureAccess("AI Ticket Processing")).toBe(false);
    expect(await missing.client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });

    const lic = stub.addLicense({ plan: "professional" });
    const { client } = makeClient(stub, lic.key);
    expect((await client.validateLicense()).valid).toBe(true);
    lic.state = "revoked";
    expect(await client.validateLicense()).toMatchObject({ valid: false, code: "LICENSE_REVOKED" });
    expect(await client.getLicenseStatus()).toMatchObject({ valid: false, code: "LICENSE_REVOKED", status: "invalid" });
    expect(await client.checkFeatureAccess("advanced_dashboard")).toBe(false);

    const old = stub.addLicense({ plan: "starter", expiresAt: new Date(Date.now() - 1000) });
    const expired = makeClient(stub, old.key);
    expect(await expired.client.validateLicense()).toMatchObject({ valid: false, code: "LICENSE_EXPIRED" });
    expect(await expired.client.getLicenseStatus()).toMatchObject({ valid: false, status: "expired" });
  });

  it("reports ACTIVATION_LIMIT_REACHED when every slot is used", async () => {
    const lic = stub.addLicense({ plan: "trial" }); // one activation
    const first = makeClient(stub, lic.key);
    expect((await first.client.validateLicense()).valid).toBe(true);
    const second = makeClient(stub, lic.key);
    expect(await second.client.validateLicense()).toMatchObject({ valid: false, code: "ACTIVATION_LIMIT_REACHED" });
    await expectLicenseError(second.client.activate(), "ACTIVATION_LIMIT_REACHED");
    expect(lic.activations.size).toBe(1);

    // Freeing the first slot lets the second installation in (after the server's retry time).
    await first.client.deactivate();
    expect(lic.activations.size).toBe(0);
    expect(await first.client.validateLicense()).toMatchObject({ valid: false, code: "DEACTIVATED" });
    second.clock.advance(601_000);
    expect(await second.client.validateLicense()).toMatchObject({ valid: true, code: "TRIAL" });
    expect(lic.activations.has(second.client.instanceId)).toBe(true);
  });

  it("activate() after deactivate() claims the slot again", async () => {
    const lic = stub.addLicense({ plan: "starter" });
    const { client } = makeClient(stub, lic.key);
    const act = await client.activate();
    expect(act.activation?.instanceId).toBe(client.instanceId);
    await client.deactivate();
    expect(await client.checkFeatureAccess("Basic Dashboard")).toBe(false);
    await client.activate();
    expect(await client.validateLicense()).toMatchObject({ valid: true });
    expect(lic.activations.size).toBe(1);
  });
});

describe("usage and limits", () => {
  it("reserves tickets and maps limit refusals to LicenseError codes", async () => {
    const lic = stub.addLicense({ plan: "trial" }); // 100 tickets, 2 clients
    const { client } = makeClient(stub, lic.key);
    const report = await client.recordTickets(60, 2);
    expect(report.remaining).toBe(40);
    expect(report.usage?.ticketsThisMonth).toBe(60);

    const usageCall = stub.requests.find((r) => r.path === "/api/usage");
    expect(usageCall?.headers.authorization).toBe(`Bearer ${lic.key}`);
    expect(usageCall?.headers["x-instance-id"]).toBe(client.instanceId);
    expect(usageCall?.body).toEqual({ tickets: 60, clients: 2 });

    const usage = await expectLicenseError(client.recordTickets(41), "USAGE_LIMIT_EXCEEDED");
    expect(usage.status).toBe(409);
    expect(lic.tickets).toBe(60); // refused request counted nothing
    await expectLicenseError(client.recordTickets(1, 3), "CLIENT_LIMIT_EXCEEDED");
    expect((await client.recordTickets(40)).remaining).toBe(0);
    await expectLicenseError(client.recordTickets(1), "USAGE_LIMIT_EXCEEDED");
    await expectLicenseError(client.recordTickets(-1), "INVALID_INPUT");
  });

  it("assertWithinLimits throws with the right code (fresh license: all remains)", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client } = makeClient(stub, lic.key);
    await expect(client.assertWithinLimits({ clients: 15, tickets: 5000 })).resolves.toMatchObject({ maxClients: 15 });
    const c = await expectLicenseError(client.assertWithinLimits({ clients: 16, tickets: 1 }), "CLIENT_LIMIT_EXCEEDED");
    expect(c.message).toContain("15");
    await expectLicenseError(client.assertWithinLimits({ clients: 1, tickets: 5001 }), "USAGE_LIMIT_EXCEEDED");

    const bad = makeClient(stub, "TZ-ENT-0000-0000-0000-0000");
    await expectLicenseError(bad.client.assertWithinLimits({ clients: 1 }), "LICENSE_NOT_FOUND");
  });
});

describe("cache at rest", () => {
  it("stores the cache encrypted (mode 0600) with no key file beside it", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, dataDir } = makeClient(stub, lic.key);
    await client.validateLicense();
    const raw = fs.readFileSync(path.join(dataDir, "license.json"), "utf8");
    expect(raw).not.toContain(lic.key);
    expect(raw).not.toContain("professional");
    // No certificate in clear: its JWS header ('{"alg"…' in base64url) and field name never appear.
    // (A bare "eyJ" can occur by chance in the random ciphertext.)
    expect(raw).not.toMatch(/eyJhbGci/);
    expect(raw).not.toContain("certificate");
    const envelope = JSON.parse(raw);
    expect(envelope).toMatchObject({ v: 2, alg: "A256GCM", kdf: "HKDF-SHA256" });
    expect(fs.statSync(path.join(dataDir, "license.json")).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dataDir).sort()).toEqual(["instance-id", "license.json"]);
  });

  it("rejects an invalid instance id at construction", () => {
    expect(() =>
      createLicenseClient({
        serverUrl: stub.url,
        licenseKey: "TZ-PRO-X",
        dataDir: tempDir(),
        instanceId: "bad id!",
        jwks: stub.plainJwks(),
      }),
    ).toThrow(/instanceId/);
  });
});
