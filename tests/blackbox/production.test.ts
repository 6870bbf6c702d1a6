/**
 * The same build started with APP_ENV=production and everything production
 * requires (real secrets from `npm run license -- secrets`, an AUTH_SECRET,
 * Stripe and SMTP settings pointing at closed local ports): the settings
 * decided at run time follow. HSTS on every answer — pages, Next.js API
 * routes, the fast path — next to the other security headers; the dev outbox
 * is not served; the public key is the configured one.
 */

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, freePort } from "../support/app-server";
import { runLicenseCli } from "../support/cli";
import { type ApiPath, api, expectAnsweredBy, expectError } from "./support/api";
import { Client, type Reply } from "./support/client";
import { startProductionBuild } from "./support/server";

let server: AppServer;
let signingKid: string;

beforeAll(async () => {
  const printed = await runLicenseCli("secrets");
  expect(printed.code, printed.stderr).toBe(0);
  const secrets = Object.fromEntries(
    printed.stdout
      .split("\n")
      .filter((line) => /^LICENSE_[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1).trim()]),
  );
  expect(Object.keys(secrets).sort()).toEqual([
    "LICENSE_ENCRYPTION_KEYS",
    "LICENSE_HMAC_SECRET",
    "LICENSE_SIGNING_KEYS",
  ]);
  signingKid = secrets.LICENSE_SIGNING_KEYS!.split(",")[0]!.split(":")[0]!;
  const port = await freePort();
  server = await startProductionBuild(
    {
      ...secrets,
      APP_ENV: "production",
      PUBLIC_URL: `http://localhost:${port}`,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      STRIPE_SECRET_KEY: "sk_test_blackbox_dummy",
      STRIPE_WEBHOOK_SECRET: "whsec_blackbox_dummy",
      STRIPE_API_BASE: "http://127.0.0.1:1",
      SMTP_URL: "smtp://127.0.0.1:1",
      TRUST_PROXY: "",
      DB_POOL_SIZE: "4",
      REMINDERS_INTERVAL_MINUTES: "0",
      // No job runner: on the shared test database it would take other files' webhook deliveries to
      // their local receivers, which production (rightly) refuses.
      JOBS: "off",
    },
    port,
  );
  expect(server.output()).toContain("APP_ENV=production");
});

afterAll(async () => {
  await server?.stop();
});

function expectProductionHeaders(reply: Reply, what: string) {
  const hsts = String(reply.headers["strict-transport-security"] ?? "");
  expect(hsts, `${what}: Strict-Transport-Security`).toMatch(/max-age=\d+/);
  expect(Number(/max-age=(\d+)/.exec(hsts)?.[1]), `${what}: HSTS max-age`).toBeGreaterThanOrEqual(31_536_000);
  expect(String(reply.headers["content-security-policy"] ?? ""), `${what}: CSP`).toContain("frame-ancestors 'none'");
  expect(reply.headers["x-content-type-options"], `${what}: nosniff`).toBe("nosniff");
  expect(reply.headers["x-frame-options"], `${what}: X-Frame-Options`).toBe("DENY");
}

describe("APP_ENV=production, decided at run time by the same build", () => {
  it("pages carry HSTS and the security headers", async () => {
    const client = new Client(server);
    for (const page of ["/", "/trial", "/plans", "/signin", "/no-such-page"]) {
      const reply = await client.send(page);
      expect(reply.status, page).toBe(page === "/no-such-page" ? 404 : 200);
      expectProductionHeaders(reply, page);
    }
  });

  it("Next.js API routes and the fast path's answers carry HSTS too", async () => {
    const client = new Client(server);
    const answers: [string, Reply, ApiPath][] = [
      ["fast: public-key", await api(client, "fast", "/api/public-key"), "fast"],
      ["fast: license-status without a key", await api(client, "fast", "/api/license-status"), "fast"],
      [
        "fast: license-status, malformed key",
        await api(client, "fast", "/api/license-status", undefined, { key: "TZ-NOPE" }),
        "fast",
      ],
      ["fast: 405", await client.send("/api/usage", { method: "GET" }), "fast"],
      ["Next.js: license-status without a session", await api(client, "next", "/api/license-status"), "next"],
      ["Next.js: generate-trial, bad body", await api(client, "next", "/admin/generate-trial", { email: 1 }), "next"],
    ];
    for (const [what, reply, path] of answers) {
      expect(reply.status, `${what}: ${reply.text.slice(0, 200)}`).toBeLessThan(500);
      expectAnsweredBy(reply, path);
      expectProductionHeaders(reply, what);
    }
    expectError(answers[1]![1], 401, "UNAUTHENTICATED");
    expectError(answers[5]![1], 400, "VALIDATION_FAILED");
    const webhook = await new Client(server).send("/api/stripe/webhook", { method: "POST", body: "{}" });
    expectError(webhook, 400, "INVALID_SIGNATURE");
    expectProductionHeaders(webhook, "the webhook");
  });

  it("the dev outbox is not served (404)", async () => {
    const client = new Client(server);
    for (const page of ["/dev/outbox", "/dev/outbox?to=someone%40example.test"]) {
      const reply = await client.send(page);
      const title = /<title>([^<]*)<\/title>/.exec(reply.text)?.[1] ?? "(no title)";
      expect(reply.status, `${page}: ${reply.status}, <title>${title}</title>`).toBe(404);
      expect(reply.text).not.toMatch(/Dev outbox|Mail this server would have sent/);
      expectProductionHeaders(reply, page);
    }
  });

  it("publishes the configured signing key, not a generated one", async () => {
    const reply = await api(new Client(server), "fast", "/api/public-key");
    expect(reply.status).toBe(200);
    expect(reply.body.keys.map((key: { kid: string }) => key.kid)).toEqual([signingKid]);
  });
});
