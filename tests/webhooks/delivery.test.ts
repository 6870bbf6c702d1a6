/**
 * Outbound webhooks end to end in one process: the domain core
 * (license/webhooks.ts), the outbox scheduler and the delivery job
 * (license/webhook-delivery.ts via server/jobs.ts, graphile-worker on its own
 * schema), against local receivers (node:http, WEBHOOK_ALLOW_PRIVATE_TARGETS).
 * Signatures are checked with the `standardwebhooks` package, independently
 * of the code that makes them.
 *
 * The database is shared with other suites: the runner is scoped to this
 * file's endpoints (`endpointIds`, filled in as endpoints are created).
 */
import { getDb } from "@ticketzero/core/db/client";
import {
  auditEvents,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "@ticketzero/core/db/schema";
import { recordAudit } from "@ticketzero/core/license/audit";
import { reinstateById, revokeById, suspendById } from "@ticketzero/core/license/backoffice";
import { isLicenseError } from "@ticketzero/core/license/errors";
import { issueLicense } from "@ticketzero/core/license/licenses";
import {
  createEndpoint,
  deleteEndpoint,
  deliveryAttempts,
  endpointDeliveries,
  getEndpoint,
  listEndpoints,
  replayDelivery,
  rotateSecret,
  setEndpointEnabled,
  updateEndpoint,
} from "@ticketzero/core/license/webhooks";
import { resetConfig } from "@ticketzero/core/server/config";
import type { JobsHandle } from "@ticketzero/core/server/jobs";
import { readOutbox } from "@ticketzero/core/server/mail";
import { and, eq, inArray, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { suffix, testEmail } from "../support/http";
import { startTestJobs } from "../support/jobs";
import { type Receiver, startReceiver } from "./support/receiver";

const DAY = 86_400_000;
const staff = { actor: "test:webhooks" };
const STAFF = `webhook-staff-${suffix()}@example.test`;
const schema = `tz_jobs_wh_${suffix()}`;
const endpointIds: string[] = [];
let jobs: JobsHandle;

async function license(what: string) {
  const { license, key } = await issueLicense(
    { plan: "professional", email: testEmail(what), expiresAt: new Date(Date.now() + 300 * DAY) },
    staff,
  );
  return { license, key };
}

async function endpoint(receiver: Receiver, events = ["license.suspended", "license.reinstated"]) {
  const created = await createEndpoint({ url: receiver.url, events, description: "test receiver" }, staff);
  endpointIds.push(created.endpoint.id);
  return created;
}

const deliveriesOf = (endpointId: string) =>
  getDb()
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(webhookDeliveries.id);

const waitFor = (fn: () => Promise<unknown> | unknown, timeout = 20_000) => expect.poll(fn, { timeout, interval: 50 });

beforeAll(async () => {
  process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = "true";
  process.env.STAFF_EMAILS = STAFF;
  resetConfig();
  jobs = startTestJobs(schema, {
    // 100 ms × 2^n retries inside a 3-second window.
    webhooks: { endpointIds, retryBaseMs: 100, retryWindowMs: 3_000, timeoutMs: 2_000 },
  });
  await jobs.ready;
});

// Each test's endpoints go with it: a closed receiver's endpoint would fail (and mail staff) later.
afterEach(async () => {
  if (endpointIds.length) await getDb().delete(webhookEndpoints).where(inArray(webhookEndpoints.id, endpointIds));
});

afterAll(async () => {
  await jobs?.stop();
  await getDb().execute(sql.raw(`drop schema if exists "${schema}" cascade`));
  delete process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS;
  delete process.env.STAFF_EMAILS;
  resetConfig();
});

describe("signed deliveries", () => {
  it("a suspend is delivered once, signed (Standard Webhooks), with the license masked", async () => {
    const receiver = await startReceiver();
    try {
      const { endpoint: ep, secret } = await endpoint(receiver);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      // The secret is never in the database in clear.
      const [stored] = await getDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, ep.id));
      expect(stored!.secretCiphertext).not.toContain(secret.slice(6));
      const { license: lic, key } = await license("wh-suspend");
      await suspendById(lic.id, staff, "unpaid invoice");

      await waitFor(() => receiver.received.length).toBe(1);
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would show up by now
      expect(receiver.received).toHaveLength(1);
      const [req] = receiver.received;
      expect(req!.headers["content-type"]).toBe("application/json");
      expect(req!.headers["user-agent"]).toBe("TicketZero-Webhooks/1");
      expect(req!.headers["webhook-id"]).toMatch(/^msg_[A-Za-z0-9]+$/);
      expect(Number(req!.headers["webhook-timestamp"])).toBeCloseTo(Date.now() / 1000, -2);
      expect(req!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      const verified = new Webhook(secret).verify(req!.body, {
        "webhook-id": String(req!.headers["webhook-id"]),
        "webhook-timestamp": String(req!.headers["webhook-timestamp"]),
        "webhook-signature": String(req!.headers["webhook-signature"]),
      }) as Record<string, unknown>;
      expect(verified).toMatchObject({
        type: "license.suspended",
        version: 1,
        id: req!.headers["webhook-id"],
        data: {
          reason: "unpaid invoice",
          license: { id: lic.id, keyMasked: lic.keyMasked, state: "suspended", plan: "professional" },
        },
      });
      // A tampered body or another secret does not verify.
      expect(() => new Webhook(secret).verify(`${req!.body} `, req!.headers as Record<string, string>)).toThrow();
      // No key anywhere in the body: masked only.
      expect(req!.body).not.toContain(key);
      expect(req!.body).not.toContain(key.slice(7, 15));

      const [delivery] = await deliveriesOf(ep.id);
      expect(delivery).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 200, scheduled: true });
      const attempts = await deliveryAttempts([delivery!.id]);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ statusCode: 200, responseExcerpt: "ok", error: null });
      // The body sent is the payload as stored, byte for byte.
      const [event] = await getDb()
        .select({ text: sql<string>`${webhookEvents.payload}::text` })
        .from(webhookEvents)
        .where(eq(webhookEvents.id, delivery!.eventId));
      expect(req!.body).toBe(event!.text);

      const log = await endpointDeliveries(ep.id);
      expect(log.items[0]).toMatchObject({ type: "license.suspended", keyMasked: lic.keyMasked, status: "delivered" });
      const health = (await listEndpoints()).find((e) => e.id === ep.id)!;
      expect(health.lastDelivery).toMatchObject({ status: "delivered", statusCode: 200 });
      expect(health.failingSince).toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it("500 three times, then 200: the 4th try delivers, with the same webhook-id", async () => {
    const receiver = await startReceiver();
    receiver.respond((n) => (n < 3 ? 500 : 200));
    try {
      const { endpoint: ep } = await endpoint(receiver);
      const { license: lic } = await license("wh-retry");
      await suspendById(lic.id, staff);
      await waitFor(async () => (await deliveriesOf(ep.id))[0]?.status).toBe("delivered");
      expect(receiver.received).toHaveLength(4);
      expect(new Set(receiver.ids()).size).toBe(1);
      // Each retry waited longer than the one before (backoff), and the endpoint was failing meanwhile.
      const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i]!.at);
      expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
      const [delivery] = await deliveriesOf(ep.id);
      expect(delivery).toMatchObject({ attempts: 4, lastStatusCode: 200 });
      const attempts = await deliveryAttempts([delivery!.id]);
      expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
      expect(attempts[0]!.responseExcerpt).toBe("nope 0");
      expect((await getEndpoint(ep.id))!.failingSince).toBeNull(); // cleared by the success
    } finally {
      await receiver.close();
    }
  });

  it("an answer with a NUL byte is recorded (made printable), and the event is sent once", async () => {
    const receiver = await startReceiver();
    receiver.respond(() => ({ status: 200, text: "ok\u0000done\u001b[31m" }));
    try {
      const { endpoint: ep } = await endpoint(receiver);
      const { license: lic } = await license("wh-nul");
      await suspendById(lic.id, staff);
      await waitFor(async () => (await deliveriesOf(ep.id))[0]?.status).toBe("delivered");
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.received).toHaveLength(1);
      const [delivery] = await deliveriesOf(ep.id);
      const [attempt] = await deliveryAttempts([delivery!.id]);
      expect(attempt!.responseExcerpt).toBe("ok\uFFFDdone\uFFFD[31m");
    } finally {
      await receiver.close();
    }
  });

  it("one license's delivery given up does not disable an endpoint that other licenses reach", async () => {
    const receiver = await startReceiver();
    const { license: failing } = await license("wh-one-bad");
    const { license: fine } = await license("wh-one-good");
    // The receiver refuses everything about one license (say, it cannot map its customer).
    receiver.respond((_n, body) => (body.includes(failing.id) ? 422 : 200));
    try {
      const { endpoint: ep } = await endpoint(receiver);
      await suspendById(failing.id, staff);
      await reinstateById(failing.id, staff); // waits behind the failing head of its stream
      // Past both of its deliveries' 3-second windows, with the other license delivered throughout.
      const stopAt = Date.now() + 7_500;
      while (Date.now() < stopAt) {
        await suspendById(fine.id, staff);
        await reinstateById(fine.id, staff);
        await new Promise((r) => setTimeout(r, 400));
      }
      await waitFor(async () =>
        (await deliveriesOf(ep.id)).filter((d) => d.stream === failing.id).map((d) => d.status),
      ).toEqual(["failed", "failed"]);
      expect((await getEndpoint(ep.id))!.enabled).toBe(true);
      const good = (await deliveriesOf(ep.id)).filter((d) => d.stream === fine.id);
      await waitFor(async () =>
        (await deliveriesOf(ep.id)).filter((d) => d.stream === fine.id).every((d) => d.status === "delivered"),
      ).toBe(true);
      expect(good.length).toBeGreaterThan(4);
    } finally {
      await receiver.close();
    }
  });

  it("a rolled-back change sends nothing", async () => {
    const receiver = await startReceiver();
    try {
      const { endpoint: ep } = await endpoint(receiver, ["license.suspended", "license.revoked"]);
      const { license: lic } = await license("wh-rollback");
      await suspendById(lic.id, staff);
      await waitFor(() => receiver.received.length).toBe(1);
      // Suspending a suspended license is refused (CONFLICT): no event.
      const refused = await suspendById(lic.id, staff).catch((e: unknown) => e);
      expect(isLicenseError(refused) && refused.code).toBe("CONFLICT");
      // A transaction that records the audit (and so the event) and then throws.
      await expect(
        getDb().transaction(async (tx) => {
          await recordAudit(tx, staff, { licenseId: lic.id, action: "license.revoked", detail: { reason: "x" } });
          throw new Error("changed my mind");
        }),
      ).rejects.toThrow("changed my mind");
      await new Promise((r) => setTimeout(r, 1_000));
      expect(receiver.received).toHaveLength(1);
      expect(await deliveriesOf(ep.id)).toHaveLength(1);
      const events = await getDb()
        .select()
        .from(webhookEvents)
        .where(and(eq(webhookEvents.licenseId, lic.id), eq(webhookEvents.type, "license.revoked")));
      expect(events).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});

describe("the listener", () => {
  it("survives losing its connection: it reconnects, and the next event is delivered in seconds (not the 1-minute sweep)", async () => {
    const receiver = await startReceiver();
    try {
      const { endpoint: ep } = await endpoint(receiver);
      // What a database restart does to the LISTEN connection.
      const kill = () =>
        getDb().execute<{ ok: boolean }>(sql`
          select pg_terminate_backend(pid) as ok from pg_stat_activity
           where query = 'LISTEN tz_webhook_events' and pid <> pg_backend_pid()`);
      await waitFor(async () => (await kill()).length, 10_000).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 200));
      const { license: lic } = await license("wh-relisten");
      await suspendById(lic.id, staff);
      await waitFor(() => receiver.received.length, 15_000).toBe(1);
      await waitFor(async () => (await deliveriesOf(ep.id))[0]?.status).toBe("delivered");
    } finally {
      await receiver.close();
    }
  });
});

describe("failure, disabling, replay", () => {
  it("after the retry window the endpoint is disabled, pending cancelled, staff mailed; replay re-sends the same webhook-id", async () => {
    const receiver = await startReceiver();
    receiver.respond(503);
    try {
      const { endpoint: ep } = await endpoint(receiver);
      const { license: lic } = await license("wh-window");
      await suspendById(lic.id, staff);
      // A second event of the same stream waits behind the failing head.
      await reinstateById(lic.id, staff);
      await waitFor(async () => (await getEndpoint(ep.id))!.enabled, 30_000).toBe(false);

      const [head, behind] = await deliveriesOf(ep.id);
      expect(head!.status).toBe("failed");
      expect(head!.attempts).toBeGreaterThanOrEqual(3);
      expect(behind!.status).toBe("cancelled");
      expect(behind!.attempts).toBe(0); // never sent: order per license
      expect(new Set(receiver.ids())).toEqual(new Set([head!.eventId]));
      const disabled = (await getEndpoint(ep.id))!;
      expect(disabled.disabledReason).toMatch(/disabled automatically/);
      expect(disabled.failingSince).not.toBeNull();
      const [audit] = await getDb()
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.action, "webhook.endpoint_disabled"),
            sql`${auditEvents.detail}->>'endpointId' = ${ep.id}`,
          ),
        );
      expect(audit).toMatchObject({ actor: "system" });
      await waitFor(async () => (await readOutbox({ to: STAFF })).length).toBe(1);
      const [mail] = await readOutbox({ to: STAFF });
      expect(mail!.subject).toMatch(/disabled/);
      // The origin only: a receiver's path may carry its own token.
      expect(mail!.text).toContain(new URL(receiver.url).origin);
      expect(mail!.text).not.toContain(receiver.url);
      expect(mail!.text).toContain(`/staff/webhooks/${ep.id}`);

      // Disabled: new events are not even written for it, and nothing is sent.
      const before = receiver.received.length;
      await suspendById(lic.id, staff);
      await new Promise((r) => setTimeout(r, 800));
      expect(receiver.received).toHaveLength(before);
      expect(await deliveriesOf(ep.id)).toHaveLength(2);

      // Replay while disabled is refused; re-enabling clears the failure.
      const refused = await replayDelivery(head!.id, staff).catch((e: unknown) => e);
      expect(isLicenseError(refused) && refused.code).toBe("CONFLICT");
      const enabled = await setEndpointEnabled(ep.id, true, staff);
      expect(enabled).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });

      receiver.respond(200);
      const replay = await replayDelivery(head!.id, staff);
      expect(replay.eventId).toBe(head!.eventId);
      await waitFor(() => receiver.received.at(-1)?.headers["webhook-id"]).toBe(head!.eventId);
      await waitFor(async () => (await deliveriesOf(ep.id)).find((d) => d.id === replay.id)?.status).toBe("delivered");
      const replayed = (await deliveriesOf(ep.id)).find((d) => d.id === replay.id)!;
      expect(replayed.replayOf).toBe(head!.id);
    } finally {
      await receiver.close();
    }
  });

  it("a disabled or deleted endpoint's pending deliveries are cancelled, not sent", async () => {
    const receiver = await startReceiver();
    receiver.respond(500);
    try {
      const { endpoint: ep } = await endpoint(receiver);
      const { license: lic } = await license("wh-disable");
      await suspendById(lic.id, staff);
      await waitFor(() => receiver.received.length).toBeGreaterThanOrEqual(1);
      await setEndpointEnabled(ep.id, false, staff);
      const n = receiver.received.length;
      await new Promise((r) => setTimeout(r, 800));
      expect(receiver.received.length).toBe(n);
      expect((await deliveriesOf(ep.id)).map((d) => d.status)).toEqual(["cancelled"]);
      expect((await getEndpoint(ep.id))!.disabledReason).toBe("Disabled by staff.");

      await deleteEndpoint(ep.id, staff);
      expect(await getEndpoint(ep.id)).toBeNull();
      expect(await deliveriesOf(ep.id)).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});

describe("endpoint management", () => {
  it("validates input with stable codes and changes nothing on refusal", async () => {
    const count = async () => (await getDb().select({ id: webhookEndpoints.id }).from(webhookEndpoints)).length;
    const before = await count();
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (isLicenseError(e) ? e.code : String(e)),
      );
    expect(await codeOf(createEndpoint({ url: "", events: ["license.suspended"] }, staff))).toBe("VALIDATION_FAILED");
    expect(await codeOf(createEndpoint({ url: "https://example.com/x", events: [] }, staff))).toBe("VALIDATION_FAILED");
    expect(await codeOf(createEndpoint({ url: "https://example.com/x", events: ["license.nope"] }, staff))).toBe(
      "VALIDATION_FAILED",
    );
    expect(await codeOf(createEndpoint({ url: "ftp://example.com/x", events: ["license.suspended"] }, staff))).toBe(
      "WEBHOOK_URL_REFUSED",
    );
    expect(
      await codeOf(updateEndpoint("not-a-uuid", { url: "http://127.0.0.1/", events: ["trial.started"] }, staff)),
    ).toBe("NOT_FOUND");
    expect(await count()).toBe(before);
  });

  it("update, rotate (shown once; the old secret also signs for a day, then stops), all audited", async () => {
    const receiver = await startReceiver();
    try {
      const { endpoint: ep, secret } = await endpoint(receiver);
      const updated = await updateEndpoint(
        ep.id,
        { url: receiver.url, events: ["license.suspended", "license.revoked"], description: "renamed", enabled: "on" },
        staff,
      );
      expect(updated).toMatchObject({ description: "renamed", events: ["license.suspended", "license.revoked"] });
      const rotated = await rotateSecret(ep.id, staff);
      expect(rotated.secret).not.toBe(secret);
      const { license: lic } = await license("wh-rotate");
      await suspendById(lic.id, staff);
      await waitFor(() => receiver.received.length).toBe(1);
      const [req] = receiver.received;
      const headers = req!.headers as Record<string, string>;
      // During the grace both verify: a receiver still on the old secret keeps working.
      expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
      expect(() => new Webhook(rotated.secret).verify(req!.body, headers)).not.toThrow();
      expect(() => new Webhook(secret).verify(req!.body, headers)).not.toThrow();
      // After it, only the new one.
      await getDb()
        .update(webhookEndpoints)
        .set({ previousSecretExpiresAt: new Date(Date.now() - 1000) })
        .where(eq(webhookEndpoints.id, ep.id));
      await revokeById(lic.id, staff);
      await waitFor(() => receiver.received.length).toBe(2);
      const later = receiver.received[1]!;
      const laterHeaders = later.headers as Record<string, string>;
      expect(laterHeaders["webhook-signature"]!.split(" ")).toHaveLength(1);
      expect(() => new Webhook(rotated.secret).verify(later.body, laterHeaders)).not.toThrow();
      expect(() => new Webhook(secret).verify(later.body, laterHeaders)).toThrow();
      const actions = await getDb()
        .select({ action: auditEvents.action })
        .from(auditEvents)
        .where(
          and(
            inArray(auditEvents.action, [
              "webhook.endpoint_created",
              "webhook.endpoint_updated",
              "webhook.secret_rotated",
            ]),
            sql`${auditEvents.detail}->>'endpointId' = ${ep.id}`,
          ),
        );
      expect(actions.map((a) => a.action).sort()).toEqual([
        "webhook.endpoint_created",
        "webhook.endpoint_updated",
        "webhook.secret_rotated",
      ]);
      // No secret in any audit detail.
      const all = await getDb()
        .select({ detail: auditEvents.detail })
        .from(auditEvents)
        .where(sql`${auditEvents.action} like 'webhook.%'`);
      expect(JSON.stringify(all)).not.toContain(rotated.secret.slice(6, 20));
      expect(JSON.stringify(all)).not.toContain(secret.slice(6, 20));
    } finally {
      await receiver.close();
    }
  });
});

// The attempts table keeps every try (used above); make sure cascade cleaned a deleted endpoint's.
it("attempts cascade with their delivery", async () => {
  const orphans = await getDb().execute<{ n: number }>(sql`
    select count(*)::int as n from ${webhookAttempts} a
     where not exists (select 1 from webhook_deliveries d where d.id = a.delivery_id)`);
  expect(orphans[0]!.n).toBe(0);
});
