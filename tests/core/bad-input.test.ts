/**
 * Bad input for every endpoint, through the real server process: each refusal
 * has its documented status and code, the `{"error": {"code", "message"}}`
 * shape, never a 500, never a full key in its message, and writes nothing.
 */

import { activateLicense } from "@ticketzero/core/license/activations";
import { issueLicense, revokeLicense, suspendLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { type CallResult, call, emailFootprint, footprint, serverEnv, testEmail } from "../support/http";

const ctx = { actor: "test" };
const DAY = 86_400_000;
const POSTS = ["/admin/activate-license", "/admin/generate-trial", "/api/usage", "/api/deactivate"] as const;

let server: AppServer;
/** Every clear key this file knows: no response may contain one. */
const knownKeys: string[] = [];

type Fixture = { id: string; key: string };
let active: Fixture;
let expired: Fixture;
let suspended: Fixture;
let revoked: Fixture;

async function issue(what: string, options: { expiresAt?: Date } = {}): Promise<Fixture> {
  const { license, key } = await issueLicense({ plan: "professional", email: testEmail(what), ...options }, ctx);
  knownKeys.push(key);
  return { id: license.id, key };
}

function expectNoKeys(result: CallResult) {
  for (const key of knownKeys) {
    expect(result.text).not.toContain(key);
    expect(result.text.toUpperCase()).not.toContain(key);
  }
}

/** The documented refusal: status, code, shape, no key in clear. */
function expectError(result: CallResult, status: number, code: string) {
  expect(result.status, result.text).toBe(status);
  expect(result.body).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(Object.keys(result.body)).toEqual(["error"]);
  expect(result.body.error.message.length).toBeGreaterThan(0);
  expect(result.text).not.toMatch(/at .+\.(ts|js):\d+/); // no stack trace
  expectNoKeys(result);
}

/** A POST with the fixture's key where the endpoint needs one: in the body (activate) or as bearer. */
function postWithKey(
  path: (typeof POSTS)[number],
  key: string,
  body: unknown,
  options: { contentType?: string | null } = {},
) {
  const bearer = path === "/api/usage" || path === "/api/deactivate" ? key : undefined;
  return call(server.url, path, { key: bearer, body, ...options });
}

const validBody = (path: (typeof POSTS)[number], key: string) =>
  ({
    "/admin/activate-license": { licenseKey: key, instanceId: "bad-input-new" },
    "/admin/generate-trial": { email: testEmail("trial-bad") },
    "/api/usage": { tickets: 1 },
    "/api/deactivate": { instanceId: "inst-a" },
  })[path];

beforeAll(async () => {
  server = await startAppServer({ env: serverEnv() });
  active = await issue("active");
  await activateLicense({ licenseKey: active.key, instanceId: "inst-a" }, ctx);
  expired = await issue("expired", { expiresAt: new Date(Date.now() - DAY) });
  suspended = await issue("suspended");
  await suspendLicense(suspended.key, ctx, "test");
  revoked = await issue("revoked");
  await revokeLicense(revoked.key, ctx, "test");
});

afterAll(async () => {
  await server?.stop();
});

/** Runs `work` and asserts the fixture's rows did not change. */
async function unchanged(fixture: Fixture, work: () => Promise<void>) {
  const before = await footprint(fixture.id);
  await work();
  expect(await footprint(fixture.id)).toEqual(before);
}

describe("malformed bodies", () => {
  it("malformed JSON is 400 INVALID_JSON on every POST endpoint", async () => {
    await unchanged(active, async () => {
      for (const path of POSTS) {
        for (const raw of ['{"licenseKey": ', "{tickets: 1}", "", "nul", "{'a':1}"]) {
          expectError(await postWithKey(path, active.key, raw), 400, "INVALID_JSON");
        }
      }
    });
  });

  it("wrong types and unknown keys are 400 VALIDATION_FAILED", async () => {
    const cases: [(typeof POSTS)[number], unknown][] = [
      ["/admin/activate-license", { licenseKey: 123 }],
      ["/admin/activate-license", { licenseKey: active.key, instanceId: 5 }],
      ["/admin/activate-license", { licenseKey: active.key, instanceId: "has spaces" }],
      ["/admin/activate-license", { licenseKey: active.key, instanceId: "x".repeat(129) }],
      ["/admin/activate-license", { licenseKey: active.key, instanceName: "" }],
      ["/admin/activate-license", { licenseKey: active.key, admin: true }],
      ["/admin/activate-license", [active.key]],
      ["/admin/activate-license", null],
      ["/admin/generate-trial", { email: 5 }],
      ["/admin/generate-trial", { email: "not-an-email" }],
      ["/admin/generate-trial", { email: testEmail("x"), plan: "enterprise" }],
      ["/admin/generate-trial", {}],
      ["/api/usage", { tickets: "5" }],
      ["/api/usage", { tickets: -1 }],
      ["/api/usage", { tickets: 0 }],
      ["/api/usage", { tickets: 1.5 }],
      ["/api/usage", { tickets: 1, clients: -2 }],
      ["/api/usage", { tickets: 1, extra: 1 }],
      ["/api/usage", {}],
      ["/api/deactivate", { instanceId: 5 }],
      ["/api/deactivate", { instanceId: "inst-a", force: true }],
      ["/api/deactivate", {}],
    ];
    await unchanged(active, async () => {
      for (const [path, body] of cases) {
        expectError(await postWithKey(path, active.key, JSON.stringify(body)), 400, "VALIDATION_FAILED");
      }
    });
    // The header an installation identifies itself with is validated too.
    expectError(
      await call(server.url, "/api/license-status", { key: active.key, instanceId: "bad id!" }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("a body over 16 KiB is 413 PAYLOAD_TOO_LARGE", async () => {
    await unchanged(active, async () => {
      for (const path of POSTS) {
        const body = JSON.stringify({ ...validBody(path, active.key), pad: "x".repeat(17 * 1024) });
        expectError(await postWithKey(path, active.key, body), 413, "PAYLOAD_TOO_LARGE");
      }
    });
  });

  it("a body that is not JSON by content type is 415", async () => {
    await unchanged(active, async () => {
      for (const path of POSTS) {
        const body = JSON.stringify(validBody(path, active.key));
        for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", null]) {
          expectError(await postWithKey(path, active.key, body, { contentType }), 415, "UNSUPPORTED_MEDIA_TYPE");
        }
      }
    });
  });
});

describe("keys", () => {
  const wrongShapes = [
    "TZ-PRO-1234",
    "TZ-XXX-AAAA-BBBB-CCCC-DDDD",
    "TZ-PRO-IIII-LLLL-OOOO-UUUU",
    "TZ-PRO-AAAA-BBBB-CCCC-DDDD-EEEE",
    "TZ-PRO-AAAABBBBCCCCDDDD",
    "TZ-TRIAL-ABCDEFG",
    "TZ-TRIAL-ABCDEFGHJ",
    "ZT-PRO-AAAA-BBBB-CCCC-DDDD",
    "TZ-PRO-AAAA-BBBB-CCCC-DDD%",
    "x".repeat(90),
  ];
  const sqlish = ["' OR 1=1 --", "TZ-PRO-'; DROP TABLE licenses;--", "TZ-PRO-AAAA-BBBB-CCCC-DDDD' OR '1'='1"];

  it("keys of the wrong shape and SQL-looking keys are 400 INVALID_FORMAT everywhere", async () => {
    for (const bad of [...wrongShapes, ...sqlish]) {
      expectError(await call(server.url, "/api/license-status", { key: bad }), 400, "INVALID_FORMAT");
      expectError(
        await call(server.url, "/admin/activate-license", { body: { licenseKey: bad } }),
        400,
        "INVALID_FORMAT",
      );
      expectError(await call(server.url, "/api/usage", { key: bad, body: { tickets: 1 } }), 400, "INVALID_FORMAT");
      expectError(
        await call(server.url, "/api/deactivate", { key: bad, body: { instanceId: "inst-a" } }),
        400,
        "INVALID_FORMAT",
      );
    }
    // The tables are all still there, and the active license untouched.
    expect((await footprint(active.id)).activations).toBe(1);
  });

  it("SQL-looking emails and instance ids are 400 VALIDATION_FAILED and write nothing", async () => {
    for (const email of ["' OR 1=1 --", "x'; DROP TABLE trials;--@example.test"]) {
      const before = await emailFootprint(email);
      expectError(await call(server.url, "/admin/generate-trial", { body: { email } }), 400, "VALIDATION_FAILED");
      expect(await emailFootprint(email)).toEqual(before);
    }
    await unchanged(active, async () => {
      expectError(
        await call(server.url, "/admin/activate-license", {
          body: { licenseKey: active.key, instanceId: "' OR 1=1 --" },
        }),
        400,
        "VALIDATION_FAILED",
      );
      expectError(
        await call(server.url, "/api/deactivate", {
          key: active.key,
          body: { instanceId: "x'; DROP TABLE activations;--" },
        }),
        400,
        "VALIDATION_FAILED",
      );
    });
  });

  it("unknown well-formed keys are 404 LICENSE_NOT_FOUND with the key masked", async () => {
    const unknown = ["TZ-PRO-AAAA-BBBB-CCCC-DDDD", "TZ-ENT-0000-1111-2222-3333", "TZ-TRIAL-ZZZZZZZZ"];
    knownKeys.push(...unknown);
    for (const key of unknown) {
      for (const result of [
        await call(server.url, "/api/license-status", { key }),
        await call(server.url, "/admin/activate-license", { body: { licenseKey: key } }),
        await call(server.url, "/api/usage", { key, body: { tickets: 1 } }),
        await call(server.url, "/api/deactivate", { key, body: { instanceId: "inst-a" } }),
      ]) {
        expectError(result, 404, "LICENSE_NOT_FOUND");
      }
    }
    const masked = await call(server.url, "/admin/activate-license", { body: { licenseKey: unknown[0] } });
    expect(masked.body.error.message).toContain("TZ-PRO-****-****-****-DDDD");
  });

  it("lower-case keys and keys with surrounding whitespace are accepted", async () => {
    const fixture = await issue("case");
    const lower = fixture.key.toLowerCase();
    const activated = await call(server.url, "/admin/activate-license", {
      body: { licenseKey: `  ${lower}\t`, instanceId: "lower-1" },
    });
    expect(activated.status, activated.text).toBe(201);
    const status = await call(server.url, "/api/license-status", { key: `${lower}  `, instanceId: "lower-1" });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ valid: true, activation: { instanceId: "lower-1" } });
    const usage = await call(server.url, "/api/usage", { key: lower, instanceId: "lower-1", body: { tickets: 3 } });
    expect(usage.status).toBe(200);
    expect(usage.body.usage.ticketsThisMonth).toBe(3);
    const deactivated = await call(server.url, "/api/deactivate", { key: lower, body: { instanceId: "lower-1" } });
    expect(deactivated.status).toBe(200);
    for (const r of [activated, status, usage, deactivated]) expectNoKeys(r);
  });
});

describe("licenses that cannot be used", () => {
  const cases = [
    ["expired", () => expired, "LICENSE_EXPIRED", "expired"],
    ["suspended", () => suspended, "LICENSE_SUSPENDED", "invalid"],
    ["revoked", () => revoked, "LICENSE_REVOKED", "invalid"],
  ] as const;

  // One code per state: the refusal's error code is the status body's code.
  for (const [name, fixture, code, status] of cases) {
    it(`${name}: 403 ${code} on activate and usage, 200 valid:false on status, nothing written`, async () => {
      const f = fixture();
      await unchanged(f, async () => {
        expectError(
          await call(server.url, "/admin/activate-license", { body: { licenseKey: f.key, instanceId: "refused-1" } }),
          403,
          code,
        );
        expectError(
          await call(server.url, "/admin/activate-license", { key: f.key, body: { instanceId: "refused-2" } }),
          403,
          code,
        );
        expectError(await call(server.url, "/api/usage", { key: f.key, body: { tickets: 1 } }), 403, code);
        const result = await call(server.url, "/api/license-status", { key: f.key, instanceId: "refused-1" });
        expect(result.status).toBe(200);
        expect(result.body).toMatchObject({ valid: false, status, code });
        expect(result.body).not.toHaveProperty("certificate");
        expectNoKeys(result);
      });
    });
  }

  it("a second trial for an email is 409 TRIAL_ALREADY_USED and writes nothing", async () => {
    const email = testEmail("twice");
    const first = await call(server.url, "/admin/generate-trial", { body: { email } });
    expect(first.status, first.text).toBe(201);
    knownKeys.push(first.body.licenseKey);
    const before = await emailFootprint(email);
    // A public trial makes no account: the license waits, on no team, for the address's owner to claim it.
    expect(before).toEqual({ licenses: 1, trials: 1, users: 0 });
    for (const again of [email, email.toUpperCase(), `  ${email.toUpperCase()} `]) {
      expectError(
        await call(server.url, "/admin/generate-trial", { body: { email: again } }),
        409,
        "TRIAL_ALREADY_USED",
      );
    }
    expect(await emailFootprint(email)).toEqual(before);
  });

  it("no credential is 401 UNAUTHENTICATED", async () => {
    await unchanged(active, async () => {
      expectError(await call(server.url, "/api/license-status"), 401, "UNAUTHENTICATED");
      expectError(
        await call(server.url, "/admin/activate-license", { body: { instanceId: "no-key" } }),
        401,
        "UNAUTHENTICATED",
      );
      expectError(await call(server.url, "/api/usage", { body: { tickets: 1 } }), 401, "UNAUTHENTICATED");
      expectError(
        await call(server.url, "/api/deactivate", { body: { instanceId: "inst-a" } }),
        401,
        "UNAUTHENTICATED",
      );
    });
  });

  it("wrong methods are 405 with Allow, and the public key needs no input", async () => {
    const wrong = await call(server.url, "/api/usage", { method: "GET", key: active.key });
    expectError(wrong, 405, "METHOD_NOT_ALLOWED");
    expect(wrong.headers.get("allow")).toBe("POST");
    const jwks = await call(server.url, "/api/public-key", { key: "' OR 1=1 --" });
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys.length).toBeGreaterThan(0);
  });
});
