/**
 * The SSRF policy (server/outbound-http.ts): without WEBHOOK_ALLOW_PRIVATE_TARGETS
 * (the default in every mode, production included) private, loopback,
 * link-local and reserved targets are refused when an endpoint is saved and
 * again at each attempt, on the addresses the name resolves to then.
 */
import { getDb } from "@ticketzero/core/db/client";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "@ticketzero/core/db/schema";
import { isLicenseError } from "@ticketzero/core/license/errors";
import { deliverStream, deliverySettings } from "@ticketzero/core/license/webhook-delivery";
import { newEventId } from "@ticketzero/core/license/webhook-events";
import { createEndpoint } from "@ticketzero/core/license/webhooks";
import { readConfig, resetConfig } from "@ticketzero/core/server/config";
import { isPublicAddress, postOutbound } from "@ticketzero/core/server/outbound-http";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { startReceiver } from "./support/receiver";

const ctx = { actor: "test:ssrf" };
const PRIVATE_URLS = [
  "http://hooks.example.com/x", // not https
  "https://127.0.0.1/x",
  "https://10.1.2.3/x",
  "https://172.16.0.1/x",
  "https://192.168.1.1/x",
  "https://100.64.0.1/x", // CGNAT
  "https://169.254.169.254/latest/meta-data", // cloud metadata (link-local)
  "https://0.0.0.0/x",
  "https://224.0.0.1/x",
  "https://[::1]/x",
  "https://[::]/x",
  "https://[::ffff:127.0.0.1]/x", // IPv4-mapped loopback
  "https://[::ffff:a9fe:a9fe]/x", // IPv4-mapped 169.254.169.254
  "https://[fe80::1]/x",
  "https://[fc00::1]/x",
  "https://0x7f000001/x", // 127.0.0.1 spelled in hex (the URL parser normalises it)
  "https://2130706433/x", // and in decimal
  "https://localhost/x", // a name that resolves to loopback
  "https://user:pass@hooks.example.com/x",
];

afterAll(() => {
  delete process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS;
  resetConfig();
});

describe("address classification", () => {
  it("only public unicast addresses pass", () => {
    for (const ok of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isPublicAddress(ok), ok).toBe(true);
    }
    for (const bad of [
      "127.0.0.1",
      "10.0.0.1",
      "172.31.255.255",
      "192.168.0.1",
      "100.100.0.1",
      "169.254.169.254",
      "0.0.0.0",
      "255.255.255.255",
      "224.0.0.251",
      "192.0.2.1",
      "198.18.0.1",
      "240.0.0.1",
      "::1",
      "::",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "fe80::1",
      "fd12:3456::1",
      "ff02::1",
      "2001:db8::1",
      "64:ff9b::7f00:1", // NAT64 of 127.0.0.1
      "2002:7f00:1::1", // 6to4 of 127.0.0.1
      "not-an-ip",
      "::7f00:1", // IPv4-compatible (deprecated ::/96)
      "::a00:1",
    ]) {
      expect(isPublicAddress(bad), bad).toBe(false);
    }
  });

  it("the flag defaults to off in every mode, and production refuses to start with it", () => {
    const productionEnv = {
      APP_ENV: "production",
      PUBLIC_URL: "https://licenses.example.com",
      AUTH_SECRET: "x".repeat(40),
      LICENSE_HMAC_SECRET: "x",
      LICENSE_ENCRYPTION_KEYS: "x",
      LICENSE_SIGNING_KEYS: "x",
      STRIPE_SECRET_KEY: "x",
      STRIPE_WEBHOOK_SECRET: "x",
      SMTP_URL: "smtp://mail.example.com",
    };
    const production = readConfig(productionEnv);
    expect(production.webhooks.allowPrivateTargets).toBe(false);
    expect(() => readConfig({ ...productionEnv, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" })).toThrow(
      /WEBHOOK_ALLOW_PRIVATE_TARGETS is for development only/,
    );
    expect(readConfig({ APP_ENV: "development" }).webhooks.allowPrivateTargets).toBe(false);
    expect(
      readConfig({ APP_ENV: "development", WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" }).webhooks.allowPrivateTargets,
    ).toBe(true);
    expect(() => readConfig({ APP_ENV: "development", WEBHOOK_ALLOW_PRIVATE_TARGETS: "maybe" })).toThrow(
      /WEBHOOK_ALLOW_PRIVATE_TARGETS/,
    );
  });
});

describe("refused on save", () => {
  it.each(PRIVATE_URLS)("%s", async (url) => {
    delete process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS;
    resetConfig();
    const before = await getDb().select({ id: webhookEndpoints.id }).from(webhookEndpoints);
    const error = await createEndpoint({ url, events: ["license.suspended"] }, ctx).catch((e: unknown) => e);
    expect(isLicenseError(error) && error.code, String(error)).toBe("WEBHOOK_URL_REFUSED");
    expect(isLicenseError(error) && error.status).toBe(400);
    expect(await getDb().select({ id: webhookEndpoints.id }).from(webhookEndpoints)).toHaveLength(before.length);
  });
});

describe("refused at attempt time", () => {
  it("postOutbound makes no request to a private target; the same target passes with the flag", async () => {
    const receiver = await startReceiver();
    try {
      const send = (url: string, allowPrivate: boolean) =>
        postOutbound({ url, headers: {}, body: "{}", timeoutMs: 2_000, policy: { allowPrivate } });
      const port = new URL(receiver.url).port;
      for (const url of [receiver.url, `https://127.0.0.1:${port}/hook`, `https://localhost:${port}/hook`]) {
        const result = await send(url, false);
        expect(result).toMatchObject({ refused: true, statusCode: null });
      }
      expect(receiver.received).toHaveLength(0);
      expect(await send(receiver.url, true)).toMatchObject({ refused: false, statusCode: 200, responseExcerpt: "ok" });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it("an endpoint saved while allowed is refused at its next attempt once the policy applies (logged, not sent)", async () => {
    const receiver = await startReceiver();
    process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = "true";
    resetConfig();
    try {
      const { endpoint } = await createEndpoint({ url: receiver.url, events: ["trial.started"] }, ctx);
      const id = newEventId();
      await getDb()
        .insert(webhookEvents)
        .values({ id, type: "trial.started", payload: { type: "trial.started", id } });
      await getDb()
        .insert(webhookDeliveries)
        .values({ eventId: id, endpointId: endpoint.id, stream: "-", scheduled: true });
      // Policy on (what production runs with): the attempt is refused and logged, with a retry.
      const run = await deliverStream(endpoint.id, "-", deliverySettings({ policy: { allowPrivate: false } }));
      expect(run.failedAttempts).toBe(1);
      expect(run.next).not.toBeNull();
      expect(receiver.received).toHaveLength(0);
      const [delivery] = await getDb()
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, endpoint.id));
      expect(delivery).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: null });
      expect(delivery!.lastError).toMatch(/https/);
      await getDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    } finally {
      await receiver.close();
    }
  });

  it("no redirect is followed", async () => {
    const target = await startReceiver();
    const { createServer } = await import("node:http");
    const redirector = createServer((_req, res) => {
      res.writeHead(307, { location: target.url });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
    try {
      const { port } = redirector.address() as { port: number };
      const result = await postOutbound({
        url: `http://127.0.0.1:${port}/`,
        headers: {},
        body: "{}",
        timeoutMs: 2_000,
        policy: { allowPrivate: true },
      });
      expect(result.statusCode).toBe(307);
      expect(target.received).toHaveLength(0);
    } finally {
      redirector.close();
      await target.close();
    }
  });

  it("a slow receiver times out", async () => {
    const { createServer } = await import("node:http");
    const slow = createServer(() => {}); // never answers
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    try {
      const { port } = slow.address() as { port: number };
      const result = await postOutbound({
        url: `http://127.0.0.1:${port}/`,
        headers: {},
        body: "{}",
        timeoutMs: 300,
        policy: { allowPrivate: true },
      });
      expect(result).toMatchObject({ statusCode: null, error: "no answer within 300 ms" });
      expect(result.durationMs).toBeGreaterThanOrEqual(290);
      expect(result.durationMs).toBeLessThan(2_000);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });
});
