/**
 * Enforcement end to end (PRODUCT.md "Activation rules", issue 8), against
 * the production server with a hostile client that skips packages/client: only
 * activated installations get a certificate or may report usage; a
 * certificate names its installation and verifies with libraries that are
 * not the server's (jose, and Python's `cryptography`); deactivation frees a
 * slot at once only while swaps are left, else when the installation's
 * certificate expires; clients are summed over installations.
 */

import { spawnSync } from "node:child_process";
import { getDb } from "@ticketzero/core/db/client";
import { licenses } from "@ticketzero/core/db/schema";
import { deactivateInstallation } from "@ticketzero/core/license/activations";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { eq } from "drizzle-orm";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { api, email, expectError, instance } from "./support/api";
import { Client, type Reply } from "./support/client";
import { expectAnswersDocumented } from "./support/openapi";
import { developmentEnv, startProductionBuild } from "./support/server";

let server: AppServer;
let client: Client;

beforeAll(async () => {
  server = await startProductionBuild(developmentEnv());
  client = new Client(server);
});

afterAll(async () => {
  await server?.stop();
});

async function license(what: string, limits: { maxActivations?: number; maxClients?: number } = {}) {
  return issueLicense({ plan: "professional", email: email(what), limits }, { actor: "blackbox-setup" });
}

const activate = (key: string, instanceId: string) =>
  api(client, "fast", "/admin/activate-license", { licenseKey: key, instanceId });
const status = (key: string, instanceId?: string) =>
  api(client, "fast", "/api/license-status", undefined, { key, instanceId });
const report = (key: string, instanceId: string | undefined, body: Record<string, number>) =>
  api(client, "fast", "/api/usage", body, { key, instanceId });
const deactivate = (key: string, instanceId: string) => api(client, "fast", "/api/deactivate", { instanceId }, { key });

function expectNoCertificate(reply: Reply) {
  expect(reply.status, reply.text).toBe(200);
  expect(reply.body).toMatchObject({ valid: true, activation: null });
  expect(reply.body).not.toHaveProperty("certificate");
}

describe("only activated installations are certified and may report usage", () => {
  it("a 6th installation on a 5-slot license: 409 with when to retry, no certificate, no usage", async () => {
    const { key } = await license("sixth", { maxActivations: 5 });
    const ids = Array.from({ length: 5 }, () => instance("slot"));
    for (const id of ids) expect((await activate(key, id)).status).toBe(201);

    const sixth = instance("sixth");
    const refused = await activate(key, sixth);
    expectError(refused, 409, "ACTIVATION_LIMIT_REACHED");
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(Number.isInteger(retryAfter) && retryAfter >= 60, `Retry-After: ${refused.headers["retry-after"]}`).toBe(
      true,
    );

    const seen = await status(key, sixth);
    expectNoCertificate(seen);
    expect(seen.body.warnings.map((w: { code: string }) => w.code)).toContain("INSTANCE_NOT_ACTIVATED");
    expect(seen.body.slots).toMatchObject({ used: 5, max: 5, held: 0, swapsLeft: 5, swapsPer30Days: 5 });

    expectError(await report(key, sixth, { tickets: 5 }), 404, "INSTANCE_NOT_ACTIVATED");
    expectError(await report(key, "never-activated", { tickets: 0, clients: 3 }), 404, "INSTANCE_NOT_ACTIVATED");
    expectError(await report(key, undefined, { tickets: 5 }), 400, "VALIDATION_FAILED");
    const after = await status(key, ids[0]);
    expect(after.body.usage).toMatchObject({ ticketsThisMonth: 0, clients: 0, activations: 5 });
    expect(typeof after.body.certificate).toBe("string");
  });

  it("a status call with no instance id gets the license but no certificate", async () => {
    const { key } = await license("anonymous");
    expect((await activate(key, instance("other"))).status).toBe(201);
    expectNoCertificate(await status(key));
  });

  it("the certificate names the installation and verifies with jose and with Python's cryptography", async () => {
    const { license: row, key } = await license("jose");
    const id = instance("jose");
    const activated = await activate(key, id);
    expect(activated.status, activated.text).toBe(201);
    const token: string = activated.body.license.certificate;
    const jwks = (await client.send("/api/public-key")).body;

    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ["EdDSA"] });
    expect(payload).toMatchObject({ instanceId: id, lid: row.id, sub: row.id, plan: "professional" });

    // An independent implementation: Ed25519 over the JWS signing input, with the JWKS's `x`.
    const python = spawnSync(
      "python3",
      [
        "-c",
        `
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
token, jwks = sys.argv[1], json.loads(sys.argv[2])
b64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
header, payload, signature = token.split(".")
kid = json.loads(b64(header))["kid"]
key = next(k for k in jwks["keys"] if k["kid"] == kid)
Ed25519PublicKey.from_public_bytes(b64(key["x"])).verify(b64(signature), f"{header}.{payload}".encode())
print(json.loads(b64(payload))["instanceId"])
`,
        token,
        JSON.stringify(jwks),
      ],
      { encoding: "utf8" },
    );
    expect(python.status, python.stderr).toBe(0);
    expect(python.stdout.trim()).toBe(id);

    const forged = `${token.slice(0, -4)}${token.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    await expect(jwtVerify(forged, createLocalJWKSet(jwks))).rejects.toThrow();
  });
});

describe("bounded churn over HTTP", () => {
  it("swaps free a slot at once until the allowance is used; then the slot is held until the certificate expires", async () => {
    const { license: row, key } = await license("churn", { maxActivations: 1 });
    const [first, second, third] = [instance("first"), instance("second"), instance("third")];

    expect((await activate(key, first)).status).toBe(201);
    const swapped = await deactivate(key, first);
    expect(swapped.status, swapped.text).toBe(200);
    expect(swapped.body).toMatchObject({ deactivated: true, swapUsed: true, swapsLeft: 0 });
    expect(Date.parse(swapped.body.slotFreesAt)).toBeLessThanOrEqual(Date.now() + 1000);
    // The swapped-out installation gets no new certificate.
    expectNoCertificate(await status(key, first));

    const activated = await activate(key, second);
    expect(activated.status).toBe(201);
    const { exp } = decodeJwt(activated.body.license.certificate);
    const held = await deactivate(key, second);
    expect(held.body).toMatchObject({ deactivated: true, swapUsed: false, swapsLeft: 0 });
    expect(Date.parse(held.body.slotFreesAt)).toBeGreaterThanOrEqual(exp! * 1000);
    expectNoCertificate(await status(key, second));

    const refused = await activate(key, third);
    expectError(refused, 409, "ACTIVATION_LIMIT_REACHED");
    expect(refused.body.error.message).toContain(held.body.slotFreesAt);
    expect((await status(key)).body.slots).toMatchObject({
      used: 1,
      held: 1,
      nextFreesAt: held.body.slotFreesAt,
      swapsLeft: 0,
    });

    // Deactivating again is idempotent; the held installation may take its own slot back.
    const again = await deactivate(key, second);
    expect(again.status).toBe(200);
    expect(again.body.slotFreesAt).toBe(held.body.slotFreesAt);
    expect((await activate(key, second)).status).toBe(201);
    expect(typeof (await status(key, second)).body.certificate).toBe("string");

    // A license given more swaps by staff frees at once again.
    await getDb().update(licenses).set({ swapsPer30Days: 3 }).where(eq(licenses.id, row.id));
    expect((await deactivate(key, second)).body).toMatchObject({ swapUsed: true, swapsLeft: 1 });
    expect((await activate(key, third)).status).toBe(201);
  });
});

describe("clients are counted per installation and summed", () => {
  it("tickets 0 reports clients alone; the sum over installations is held to maxClients", async () => {
    const { key } = await license("clients", { maxClients: 10, maxActivations: 3 });
    const [a, b] = [instance("clients-a"), instance("clients-b")];
    for (const id of [a, b]) expect((await activate(key, id)).status).toBe(201);

    const first = await report(key, a, { tickets: 0, clients: 6 });
    expect(first.status, first.text).toBe(200);
    expect(first.body.usage).toMatchObject({ ticketsThisMonth: 0, clients: 6 });

    const over = await report(key, b, { tickets: 2, clients: 5 });
    expectError(over, 409, "CLIENT_LIMIT_EXCEEDED");
    const fits = await report(key, b, { tickets: 2, clients: 4 });
    expect(fits.body.usage).toMatchObject({ ticketsThisMonth: 2, clients: 10 });
    // Reporting again replaces an installation's own count; it does not add to it.
    expect((await report(key, a, { tickets: 0, clients: 5 })).body.usage.clients).toBe(9);

    const seen = await status(key, b);
    expect(seen.body.usage).toMatchObject({ clients: 9, ticketsThisMonth: 2 });
    expect(seen.body.activation).toMatchObject({ instanceId: b, clients: 4 });
    // A deactivated installation's clients no longer count.
    expect((await deactivate(key, a)).status).toBe(200);
    expect((await status(key, b)).body.usage.clients).toBe(4);
  });

  it("an installation deactivated by its account admin is told so, and gets no certificate", async () => {
    const { key } = await license("by-admin");
    const box = instance("by-admin");
    expect((await activate(key, box)).status).toBe(201);
    await deactivateInstallation({ licenseKey: key }, box, { actor: "blackbox-setup" }, "account");
    const seen = await status(key, box);
    expectNoCertificate(seen);
    expect(seen.body.warnings.map((w: { code: string }) => w.code)).toContain("INSTANCE_DEACTIVATED");
  });
});

describe("an upgraded-from key in its grace period", () => {
  it("answers SUPERSEDED_GRACE naming its replacement, keeps its installations, takes no new ones", async () => {
    const old = await license("superseded");
    const replacement = await issueLicense(
      { plan: "enterprise", email: email("replacement") },
      { actor: "blackbox-setup" },
    );
    const running = instance("running");
    expect((await activate(old.key, running)).status).toBe(201);
    const graceEndsAt = new Date(Date.now() + 14 * 86_400_000);
    await getDb()
      .update(licenses)
      .set({ state: "superseded", graceEndsAt, supersededBy: replacement.license.id })
      .where(eq(licenses.id, old.license.id));

    const seen = await status(old.key, running);
    expect(seen.body).toMatchObject({
      valid: true,
      code: "SUPERSEDED_GRACE",
      status: "expiring_soon",
      replacement: { key: replacement.license.keyMasked, plan: "enterprise", graceEndsAt: graceEndsAt.toISOString() },
    });
    expect(seen.body.message).toContain(replacement.license.keyMasked);
    expect(seen.body.message).not.toMatch(/renew/i);
    expect(seen.body.warnings.map((w: { code: string }) => w.code)).not.toContain("RENEWAL_DUE");
    expect(typeof seen.body.certificate).toBe("string");
    expect(seen.text).not.toContain(replacement.key);

    expectError(await activate(old.key, instance("new-box")), 403, "LICENSE_SUPERSEDED");
    expect((await activate(old.key, running)).status).toBe(200);
  });
});

describe("the OpenAPI document", () => {
  it("describes every answer above (GET /api/openapi.json)", async () => {
    await expectAnswersDocumented(server);
  });
});
