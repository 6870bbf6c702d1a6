/**
 * The HTTP contract (README "HTTP API", PRODUCT.md "HTTP contract") on every
 * installation endpoint and on both sides of the launcher — its fast path and
 * the Next.js route handler — of one production server: malformed JSON,
 * wrong types and unknown keys, wrong content types, bodies over
 * MAX_BODY_BYTES (with Content-Length, and chunked with no length), wrong
 * methods and TRACE, SQL-looking input; the Stripe webhook's body limit and
 * signature; the security headers the launcher sets at run time; and server
 * actions posted from a foreign Origin. Every refusal is the documented JSON
 * error, never a 500, and changes nothing a later status shows.
 *
 * `/api/public-key` is answered by the fast path whatever cookies come with
 * it, so it has no Next.js side to test. A bearer key takes a request to the
 * fast path, so on the Next.js side the key-only endpoints (`/api/usage`,
 * `/api/deactivate`) meet a request without a credential: there a 401
 * UNAUTHENTICATED is as documented an answer as the body's own refusal.
 */

import { issueLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { API_PATHS, type ApiPath, api, email, expectAnsweredBy, expectError, instance, TRIAL_KEY } from "./support/api";
import { Client, type Reply } from "./support/client";
import { callAction, markup, submitForm } from "./support/forms";
import { expectAnswersDocumented } from "./support/openapi";
import { developmentEnv, startProductionBuild } from "./support/server";
import { signIn } from "./support/session";

const MAX_BODY_BYTES = 2048;
/** The webhook's own limit (app/api/stripe/webhook/route.ts): Stripe's events are well under it. */
const WEBHOOK_MAX_BYTES = 1024 * 1024;
const FOREIGN = "https://evil.example";

let server: AppServer;
/** A license with one installation: the endpoints that need a key get a real one. */
let fixture: { key: string; instanceId: string };

beforeAll(async () => {
  server = await startProductionBuild(
    developmentEnv({ MAX_BODY_BYTES: String(MAX_BODY_BYTES), STRIPE_WEBHOOK_SECRET: "whsec_blackbox_contract_test" }),
  );
  const { key } = await issueLicense({ plan: "professional", email: email("contract") }, { actor: "blackbox-setup" });
  fixture = { key, instanceId: instance("contract") };
  const activated = await api(new Client(server), "fast", "/admin/activate-license", {
    licenseKey: key,
    instanceId: fixture.instanceId,
  });
  expect(activated.status, activated.text).toBe(201);
});

afterAll(async () => {
  await server?.stop();
});

type Endpoint = {
  path: string;
  method: "GET" | "POST";
  /** The key goes as bearer: on the Next.js side such a request has no credential. */
  bearer: boolean;
  /** A body the endpoint accepts (refused tests send it with something wrong around it). */
  valid?: () => Record<string, unknown>;
  /** Bodies of the wrong types or with unknown keys. */
  wrong?: () => unknown[];
  paths: readonly ApiPath[];
};

const ENDPOINTS: Endpoint[] = [
  {
    path: "/admin/activate-license",
    method: "POST",
    bearer: false,
    valid: () => ({ licenseKey: fixture.key, instanceId: instance("refused") }),
    wrong: () => [
      { licenseKey: 123 },
      { licenseKey: fixture.key, instanceId: 5 },
      { licenseKey: fixture.key, instanceId: "has spaces" },
      { licenseKey: fixture.key, instanceId: "x".repeat(129) },
      { licenseKey: fixture.key, instanceName: "" },
      { licenseKey: fixture.key, admin: true },
      [fixture.key],
      null,
    ],
    paths: API_PATHS,
  },
  {
    path: "/admin/generate-trial",
    method: "POST",
    bearer: false,
    valid: () => ({ email: email("refused") }),
    wrong: () => [{ email: 5 }, { email: "not-an-email" }, { email: email("x"), plan: "enterprise" }, {}, ["a@b.co"]],
    paths: API_PATHS,
  },
  {
    path: "/api/usage",
    method: "POST",
    bearer: true,
    valid: () => ({ tickets: 1 }),
    wrong: () => [
      { tickets: "5" },
      { tickets: -1 },
      { tickets: 1.5 },
      { tickets: 1, clients: -2 },
      { tickets: 1, extra: 1 },
      {},
      [1],
    ],
    paths: API_PATHS,
  },
  {
    path: "/api/deactivate",
    method: "POST",
    bearer: true,
    valid: () => ({ instanceId: instance("not-there") }),
    wrong: () => [{ instanceId: 5 }, { instanceId: fixture.instanceId, force: true }, {}, "instance"],
    paths: API_PATHS,
  },
  { path: "/api/license-status", method: "GET", bearer: true, paths: API_PATHS },
  { path: "/api/public-key", method: "GET", bearer: false, paths: ["fast"] },
];

const POSTS = ENDPOINTS.filter((e) => e.method === "POST");

/** A request to `endpoint` on `path`, with the fixture's key where the endpoint takes it as bearer. */
function send(endpoint: Endpoint, path: ApiPath, body?: string | Buffer, options: Parameters<typeof api>[4] = {}) {
  const key = endpoint.bearer && path === "fast" ? fixture.key : undefined;
  return api(new Client(server), path, endpoint.path, body, { key, ...options });
}

/** The refusal this request must get; on the Next.js side a key-only endpoint may say "no credential" first. */
function expectRefusal(reply: Reply, endpoint: Endpoint, path: ApiPath, status: number, code: string) {
  if (endpoint.bearer && path === "next") expectError(reply, [status, 401], [code, "UNAUTHENTICATED"]);
  else expectError(reply, status, code);
}

/** The fixture as a status shows it: a refused request must leave it as it was. */
async function fixtureSeen() {
  const reply = await api(new Client(server), "fast", "/api/license-status", undefined, { key: fixture.key });
  expect(reply.status, reply.text).toBe(200);
  const { activations, ticketsThisMonth, clients } = reply.body.usage;
  return { activations, ticketsThisMonth, clients, state: reply.body.status };
}

/** An oversized JSON body in pieces: opened, padded well past `limit`, never closed. */
function oversizedChunks(prefix: string, limit: number, chunkSize: number): Buffer[] {
  const chunks = [Buffer.from(prefix)];
  for (let sent = 0; sent < limit * 3; sent += chunkSize) chunks.push(Buffer.alloc(chunkSize, "a"));
  return chunks;
}

/** The answer to a body that is too large must come while it is still being sent, not after it ends. */
function expectAnsweredWhileSending(reply: Reply) {
  expect(
    reply.answeredBeforeEnd,
    `answered only after the whole body was sent (${reply.status}: ${reply.text.slice(0, 200)})`,
  ).toBe(true);
}

describe("malformed, mistyped and unwanted bodies", () => {
  for (const endpoint of POSTS) {
    for (const path of endpoint.paths) {
      describe(`${endpoint.path} (${path})`, () => {
        it("malformed JSON is 400 INVALID_JSON", async () => {
          for (const raw of ['{"licenseKey": ', "{tickets: 1}", "", "nul", "{'a':1}", '{"a":1}}', "\u0000"]) {
            expectRefusal(await send(endpoint, path, raw), endpoint, path, 400, "INVALID_JSON");
          }
        });

        it("wrong types and unknown keys are 400 VALIDATION_FAILED", async () => {
          for (const body of endpoint.wrong!()) {
            expectRefusal(await send(endpoint, path, JSON.stringify(body)), endpoint, path, 400, "VALIDATION_FAILED");
          }
        });

        it("a body that is not JSON by its content type is 415 UNSUPPORTED_MEDIA_TYPE", async () => {
          const body = JSON.stringify(endpoint.valid!());
          for (const type of [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "text/json",
          ]) {
            const reply = await send(endpoint, path, body, { headers: { "Content-Type": type } });
            expectRefusal(reply, endpoint, path, 415, "UNSUPPORTED_MEDIA_TYPE");
          }
          // No content type at all.
          const bare = await new Client(server).send(endpoint.path, {
            method: "POST",
            body,
            headers: pathHeadersFor(endpoint, path),
          });
          expectRefusal(bare, endpoint, path, 415, "UNSUPPORTED_MEDIA_TYPE");
        });

        it(`a body over MAX_BODY_BYTES (${MAX_BODY_BYTES}) with Content-Length is 413 PAYLOAD_TOO_LARGE`, async () => {
          const body = JSON.stringify({ ...endpoint.valid!(), pad: "x".repeat(MAX_BODY_BYTES * 2) });
          expectRefusal(await send(endpoint, path, body), endpoint, path, 413, "PAYLOAD_TOO_LARGE");
        });

        it("a chunked body over MAX_BODY_BYTES (no Content-Length, several chunks) is 413 PAYLOAD_TOO_LARGE", async () => {
          const prefix = JSON.stringify({ ...endpoint.valid!(), pad: "" }).slice(0, -2);
          const reply = await new Client(server).send(endpoint.path, {
            method: "POST",
            chunks: oversizedChunks(prefix, MAX_BODY_BYTES, 512),
            hold: 5000,
            headers: { ...pathHeadersFor(endpoint, path), "Content-Type": "application/json" },
          });
          expectRefusal(reply, endpoint, path, 413, "PAYLOAD_TOO_LARGE");
          expectAnsweredWhileSending(reply);
        });
      });
    }
  }

  it("the header an installation identifies itself with is validated on both paths", async () => {
    const status = ENDPOINTS.find((e) => e.path === "/api/license-status")!;
    for (const path of API_PATHS) {
      for (const bad of ["bad id!", "x".repeat(129), "a/b", "semi;colon"]) {
        const reply = await send(status, path, undefined, { headers: { "X-Instance-Id": bad } });
        expectError(reply, 400, "VALIDATION_FAILED");
        expectAnsweredBy(reply, path);
      }
    }
  });

  it("none of the refused requests above changed the license", async () => {
    expect(await fixtureSeen()).toEqual({ activations: 1, ticketsThisMonth: 0, clients: 0, state: "valid" });
  });
});

/** The headers that route a request on `path` for `endpoint` (the fixture's key as bearer where it goes). */
function pathHeadersFor(endpoint: Endpoint, path: ApiPath): Record<string, string> {
  if (path === "fast") return endpoint.bearer ? { Authorization: `Bearer ${fixture.key}` } : {};
  return { Cookie: "tz=1", Origin: server.url };
}

describe("methods", () => {
  for (const endpoint of ENDPOINTS) {
    for (const path of endpoint.paths) {
      const wrong = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => m !== endpoint.method);
      it(`${endpoint.path} (${path}): ${wrong.join(", ")} are 405 METHOD_NOT_ALLOWED as JSON, with Allow`, async () => {
        // Every method is tried and every miss reported, so a failure shows all the answers at once.
        const misses: string[] = [];
        for (const method of wrong) {
          const reply = await new Client(server).send(endpoint.path, {
            method,
            ...(method === "GET" ? {} : { body: "{}" }),
            headers: {
              ...pathHeadersFor(endpoint, path),
              ...(method === "GET" ? {} : { "Content-Type": "application/json" }),
            },
          });
          const seen = `${method} → ${reply.status} ${reply.headers["content-type"] ?? "(no content type)"} Allow: ${reply.headers.allow ?? "(none)"} body: ${JSON.stringify(reply.text.slice(0, 120))}`;
          try {
            expectError(reply, 405, "METHOD_NOT_ALLOWED");
            expect(String(reply.headers.allow ?? "")).toContain(endpoint.method);
          } catch {
            misses.push(seen);
          }
        }
        expect(misses).toEqual([]);
      });

      it(`${endpoint.path} (${path}): TRACE gets a JSON error, not a 500`, async () => {
        const reply = await new Client(server).send(endpoint.path, {
          method: "TRACE",
          headers: pathHeadersFor(endpoint, path),
        });
        expect(
          reply.status,
          `${reply.status} ${reply.headers["content-type"]}: ${reply.text.slice(0, 200)}`,
        ).toBeLessThan(500);
        expectError(reply, [405, 501], ["METHOD_NOT_ALLOWED", "NOT_IMPLEMENTED"]);
        if (reply.status === 405) expect(String(reply.headers.allow ?? "")).toContain(endpoint.method);
      });
    }
  }

  it("TRACE on a page is not a 500 and never echoes the request back", async () => {
    for (const page of ["/", "/trial"]) {
      const marker = `probe-${Math.random().toString(36).slice(2)}`;
      const reply = await new Client(server).send(page, {
        method: "TRACE",
        headers: { "X-Trace-Probe": marker, Cookie: `secret=${marker}` },
      });
      expect(reply.status, `${page}: ${reply.status} ${reply.text.slice(0, 200)}`).toBeLessThan(500);
      expect(reply.text).not.toContain(marker);
    }
  });
});

describe("SQL-looking input", () => {
  const keys = ["' OR 1=1 --", "TZ-PRO-'; DROP TABLE licenses;--", "TZ-PRO-AAAA-BBBB-CCCC-DDDD' OR '1'='1"];
  const emails = ["' OR 1=1 --", "x'; DROP TABLE trials;--@example.test", '"; DELETE FROM licenses; --"@example.test'];

  it("SQL-looking keys are 400 INVALID_FORMAT on every endpoint that takes a key, on both paths", async () => {
    for (const bad of keys) {
      for (const path of API_PATHS) {
        const reply = await api(new Client(server), path, "/admin/activate-license", { licenseKey: bad });
        expectError(reply, 400, "INVALID_FORMAT");
        expectAnsweredBy(reply, path);
      }
      const installation = new Client(server);
      expectError(
        await api(installation, "fast", "/api/license-status", undefined, { key: bad }),
        400,
        "INVALID_FORMAT",
      );
      expectError(await api(installation, "fast", "/api/usage", { tickets: 1 }, { key: bad }), 400, "INVALID_FORMAT");
      expectError(
        await api(installation, "fast", "/api/deactivate", { instanceId: fixture.instanceId }, { key: bad }),
        400,
        "INVALID_FORMAT",
      );
    }
    expect(await fixtureSeen()).toEqual({ activations: 1, ticketsThisMonth: 0, clients: 0, state: "valid" });
  });

  it("SQL-looking emails are refused on the form and on both paths, and every table still works", async () => {
    for (const bad of emails) {
      for (const path of API_PATHS) {
        const reply = await api(new Client(server), path, "/admin/generate-trial", { email: bad });
        expectError(reply, 400, "VALIDATION_FAILED");
        expectAnsweredBy(reply, path);
      }
      const { reply, outcome } = await submitForm(new Client(server), "/trial", { email: bad });
      expect(reply.status).toBe(200);
      expect(outcome.code).toBe("VALIDATION_FAILED");
      expect(outcome.licenseKey).toBeNull();
    }
    // An address with SQL in it that is still an address is stored as written: one trial, then the refusal.
    const quoted = `robert'--drop-table-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const first = await api(new Client(server), "fast", "/admin/generate-trial", { email: quoted });
    expect(first.status, first.text).toBe(201);
    expect(first.body.licenseKey).toMatch(TRIAL_KEY);
    expectError(
      await api(new Client(server), "next", "/admin/generate-trial", { email: quoted }),
      409,
      "TRIAL_ALREADY_USED",
    );
    expect(await fixtureSeen()).toEqual({ activations: 1, ticketsThisMonth: 0, clients: 0, state: "valid" });
  });
});

describe("POST /api/stripe/webhook", () => {
  const event = JSON.stringify({ id: "evt_blackbox", object: "event", type: "checkout.session.completed", data: {} });
  const post = (options: Parameters<Client["send"]>[1]) =>
    new Client(server).send("/api/stripe/webhook", { method: "POST", ...options });

  it("a bad or missing signature is 400 as JSON", async () => {
    const t = Math.floor(Date.now() / 1000);
    for (const signature of [`t=${t},v1=${"ab".repeat(32)}`, "garbage", undefined]) {
      const reply = await post({
        body: event,
        headers: { "Content-Type": "application/json", ...(signature ? { "Stripe-Signature": signature } : {}) },
      });
      expectError(reply, 400, "INVALID_SIGNATURE");
    }
  });

  it("a body over its limit with Content-Length is 413 PAYLOAD_TOO_LARGE as JSON", async () => {
    const reply = await post({
      body: Buffer.alloc(WEBHOOK_MAX_BYTES + 64 * 1024, "a"),
      headers: { "Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00" },
    });
    expectError(reply, 413, "PAYLOAD_TOO_LARGE");
  });

  it("a chunked body over its limit (no Content-Length) is 413 PAYLOAD_TOO_LARGE, answered while it is sent", async () => {
    const reply = await post({
      chunks: oversizedChunks('{"id":"evt_big","pad":"', WEBHOOK_MAX_BYTES, 64 * 1024).slice(0, 26),
      hold: 5000,
      headers: { "Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00" },
    });
    expectError(reply, 413, "PAYLOAD_TOO_LARGE");
    expectAnsweredWhileSending(reply);
  });

  it("GET and TRACE are JSON errors (405 with Allow: POST), not a 500", async () => {
    const misses: string[] = [];
    for (const method of ["GET", "PUT", "TRACE"]) {
      const reply = await new Client(server).send("/api/stripe/webhook", { method });
      try {
        expectError(reply, 405, "METHOD_NOT_ALLOWED");
        expect(String(reply.headers.allow ?? "")).toContain("POST");
      } catch {
        misses.push(
          `${method} → ${reply.status} ${reply.headers["content-type"] ?? "(no content type)"} Allow: ${reply.headers.allow ?? "(none)"} body: ${JSON.stringify(reply.text.slice(0, 120))}`,
        );
      }
    }
    expect(misses).toEqual([]);
  });
});

describe("security headers, decided at run time (APP_ENV=development)", () => {
  function expectSecurityHeaders(reply: Reply, what: string) {
    const csp = String(reply.headers["content-security-policy"] ?? "");
    expect(csp, `${what}: CSP`).toContain("default-src 'self'");
    expect(csp, `${what}: CSP`).toContain("frame-ancestors 'none'");
    expect(reply.headers["x-content-type-options"], `${what}: nosniff`).toBe("nosniff");
    expect(reply.headers["x-frame-options"], `${what}: X-Frame-Options`).toBe("DENY");
    // HSTS belongs to APP_ENV=production only (production.test.ts): this is the same build.
    expect(reply.headers["strict-transport-security"], `${what}: no HSTS in development`).toBeUndefined();
  }

  it("on pages, a 404 page and a static asset", async () => {
    const client = new Client(server);
    for (const page of ["/", "/trial", "/plans", "/signin", "/no-such-page"]) {
      const reply = await client.send(page);
      expect(reply.status, page).toBe(page === "/no-such-page" ? 404 : 200);
      expect(String(reply.headers["content-type"])).toMatch(/^text\/html/);
      expectSecurityHeaders(reply, page);
    }
    const home = await client.send("/");
    const asset = /(?:href|src)="(\/_next\/static\/[^"]+\.(?:css|js))"/.exec(markup(home.text) + home.text)?.[1];
    expect(asset, "a static asset linked from the home page").toBeDefined();
    const served = await client.send(asset!);
    expect(served.status).toBe(200);
    expectSecurityHeaders(served, asset!);
  });

  it("on Next.js API routes and on the fast path's answers, successes and refusals alike", async () => {
    const client = new Client(server);
    const answers: [string, Reply, ApiPath][] = [
      ["Next.js: license-status without a session", await api(client, "next", "/api/license-status"), "next"],
      ["Next.js: generate-trial, bad body", await api(client, "next", "/admin/generate-trial", { email: 1 }), "next"],
      ["fast: public-key", await api(client, "fast", "/api/public-key"), "fast"],
      [
        "fast: license-status",
        await api(client, "fast", "/api/license-status", undefined, { key: fixture.key }),
        "fast",
      ],
      ["fast: license-status without a key", await api(client, "fast", "/api/license-status"), "fast"],
      ["fast: 405", await client.send("/api/usage", { method: "PUT", body: "{}" }), "fast"],
    ];
    for (const [what, reply, path] of answers) {
      expect(reply.status, what).toBeLessThan(500);
      expectAnsweredBy(reply, path);
      expectSecurityHeaders(reply, what);
    }
    const webhook = await new Client(server).send("/api/stripe/webhook", { method: "POST", body: "{}" });
    expectSecurityHeaders(webhook, "the webhook");
  });
});

describe("server actions posted from a foreign Origin", () => {
  /**
   * Not a 5xx and no stack trace; a 4xx, a redirect, or a page (or action result) that says it refused.
   * Whether anything happened is checked by each test over HTTP afterwards.
   */
  function expectCleanRefusal(reply: Reply, what: string, saysRefused: boolean) {
    const seen = `${what}: ${reply.status} ${reply.headers["content-type"]}: ${JSON.stringify(reply.text.slice(0, 200))}`;
    expect(reply.status, seen).toBeLessThan(500);
    expect(reply.text, seen).not.toMatch(/\bat [^\n]+\.(ts|tsx|js|mjs):\d+/);
    if (reply.status < 300) expect(saysRefused, `${seen}: a 2xx answer must show the refusal`).toBe(true);
  }

  it("the trial form from another site is refused cleanly and starts no trial", async () => {
    const address = email("foreign-form");
    const { reply, outcome } = await submitForm(
      new Client(server),
      "/trial",
      { email: address },
      { headers: { Origin: FOREIGN } },
    );
    expect(outcome.licenseKey).toBeNull();
    expectCleanRefusal(reply, "form without JavaScript", outcome.alerts.length > 0);
    // Nothing was created: the address still gets its trial.
    const later = await api(new Client(server), "fast", "/admin/generate-trial", { email: address });
    expect(later.status, later.text).toBe(201);
  });

  it("the trial action called as the page's script calls it (Next-Action) from another site is refused cleanly", async () => {
    const address = email("foreign-action");
    // The same call from the page's own origin works: the request is well formed.
    const own = await callAction(new Client(server), "/trial", { email: email("own-action") });
    expect(own.reply.status, own.reply.text.slice(0, 200)).toBe(200);
    expect(own.result).toMatchObject({ ok: true, licenseKey: expect.stringMatching(TRIAL_KEY) });

    const foreign = await callAction(
      new Client(server),
      "/trial",
      { email: address },
      { headers: { Origin: FOREIGN } },
    );
    expect(JSON.stringify(foreign.result ?? null)).not.toMatch(/TZ-TRIAL-/);
    expectCleanRefusal(foreign.reply, "Next-Action call", foreign.failed || foreign.result?.ok === false);
    const later = await api(new Client(server), "fast", "/admin/generate-trial", { email: address });
    expect(later.status, later.text).toBe(201);
  });

  it("a signed-in admin's activation form and JSON API from another site: refused, nothing activated", async () => {
    const admin = new Client(server);
    const address = email("foreign-admin");
    await signIn(admin, address);
    const { key } = await issueLicense({ plan: "trial", email: address }, { actor: "blackbox-setup" });

    // The session-aware JSON API names the refusal: 403 BAD_ORIGIN.
    const json = await api(
      admin,
      "next",
      "/admin/activate-license",
      { licenseKey: key },
      { headers: { Origin: FOREIGN } },
    );
    expectError(json, 403, "BAD_ORIGIN");
    expectAnsweredBy(json, "next");

    const { reply, outcome } = await submitForm(
      admin,
      "/admin/license",
      { licenseKey: key },
      { headers: { Origin: FOREIGN } },
    );
    expect(outcome.status).toBeNull();
    expectCleanRefusal(reply, "Admin Panel form", outcome.alerts.length > 0);

    const status = await api(new Client(server), "fast", "/api/license-status", undefined, { key });
    expect(status.body.usage.activations).toBe(0);
  });
});

describe("the OpenAPI document", () => {
  it("describes every answer above: its status, content type and body (GET /api/openapi.json)", async () => {
    await expectAnswersDocumented(server);
  });
});
