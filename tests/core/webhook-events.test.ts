/**
 * Outbound webhook events come from the domain core, inside the transaction
 * that makes the change (the outbox): each audited change the issue names
 * writes its event, with a pending delivery for every subscribed endpoint; a
 * rolled-back change writes none and wakes nobody; the payload shows the
 * license masked, never its key.
 */

import { databaseUrl, getDb } from "@ticketzero/core/db/client";
import { webhookEndpoints } from "@ticketzero/core/db/schema";
import { activateLicense, deactivateInstallation } from "@ticketzero/core/license/activations";
import { recordAudit } from "@ticketzero/core/license/audit";
import { extendById, reinstateById, revokeById, suspendById } from "@ticketzero/core/license/backoffice";
import { issueUpgrade } from "@ticketzero/core/license/fulfilment";
import { cullSilentInstallations } from "@ticketzero/core/license/heartbeats";
import { generateTrial, issueLicense } from "@ticketzero/core/license/licenses";
import { recordExpiries } from "@ticketzero/core/license/reminders";
import { reserveTickets } from "@ticketzero/core/license/usage";
import { encryptKey } from "@ticketzero/core/license/vault";
import {
  newEventId,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_NOTIFY_CHANNEL,
  WEBHOOK_PAYLOAD_VERSION,
} from "@ticketzero/core/license/webhook-events";
import { pruneWebhookHistory } from "@ticketzero/core/license/webhooks";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

const ctx = { actor: "test:webhook-events" };
let endpointId = "";

type EventRow = { id: string; type: string; payload: Record<string, unknown>; deliveries: number };

async function eventsOf(licenseId: string): Promise<EventRow[]> {
  return [
    ...(await getDb().execute<EventRow>(sql`
      select e.id, e.type, e.payload,
             (select count(*)::int from webhook_deliveries d
               where d.event_id = e.id and d.endpoint_id = ${endpointId} and d.status = 'pending'
                 and d.stream = ${licenseId}) as deliveries
        from webhook_events e where e.license_id = ${licenseId} order by e.seq`)),
  ];
}
const typesOf = async (licenseId: string) => (await eventsOf(licenseId)).map((e) => e.type);

beforeAll(async () => {
  // Subscribed to everything, at an address no job could reach: these tests read the outbox only.
  const [row] = await getDb()
    .insert(webhookEndpoints)
    .values({
      url: "https://webhook-events-test.invalid/hook",
      description: "tests/core/webhook-events.test.ts",
      events: [...WEBHOOK_EVENT_TYPES],
      secretCiphertext: encryptKey("whsec_dGVzdA=="),
    })
    .returning();
  endpointId = row!.id;
});

afterAll(async () => {
  await getDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
});

describe("webhook events from the core", () => {
  it("a license's life: created, suspended, reinstated, renewed, revoked — each once, masked, with a delivery", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: testEmail("wh-life") }, ctx);
    await suspendById(license.id, ctx, "unpaid invoice");
    await reinstateById(license.id, ctx);
    await extendById(license.id, 30, ctx);
    await revokeById(license.id, ctx, "chargeback");
    const events = await eventsOf(license.id);
    expect(events.map((e) => e.type)).toEqual([
      "license.created",
      "license.suspended",
      "license.reinstated",
      "license.renewed",
      "license.revoked",
    ]);
    for (const event of events) {
      expect(event.deliveries).toBe(1);
      expect(event.payload).toMatchObject({
        type: event.type,
        id: event.id,
        version: WEBHOOK_PAYLOAD_VERSION,
        data: { license: { id: license.id, keyMasked: license.keyMasked, plan: "professional" } },
      });
      expect(event.id).toMatch(/^msg_[A-Za-z0-9]{20,}$/);
    }
    expect(events[1]!.payload).toMatchObject({ data: { license: { state: "suspended" }, reason: "unpaid invoice" } });
    expect(JSON.stringify(events)).not.toContain(key);
  });

  it("a trial: license.created and trial.started", async () => {
    const { license } = await generateTrial(testEmail("wh-trial"), ctx);
    expect(await typesOf(license.id)).toEqual(["license.created", "trial.started"]);
  });

  it("installations: created, refused at the limit, removed, culled", async () => {
    const { license, key } = await issueLicense(
      { plan: "starter", email: testEmail("wh-act"), limits: { maxActivations: 1 } },
      ctx,
    );
    await activateLicense({ licenseKey: key, instanceId: "wh-a" }, ctx);
    await expect(activateLicense({ licenseKey: key, instanceId: "wh-b" }, ctx)).rejects.toMatchObject({
      code: "ACTIVATION_LIMIT_REACHED",
    });
    await deactivateInstallation({ licenseKey: key }, "wh-a", ctx);
    const types = await typesOf(license.id);
    expect(types).toEqual(["license.created", "activation.created", "activation.refused", "activation.removed"]);
    const refused = (await eventsOf(license.id))[2]!;
    expect(refused.payload).toMatchObject({ data: { instanceId: "wh-b", reason: "ACTIVATION_LIMIT_REACHED" } });
    // An installation retrying at the limit is one event an hour, not one per retry (each is audited).
    await activateLicense({ licenseKey: key, instanceId: "wh-a" }, ctx);
    for (let i = 0; i < 3; i++) {
      await expect(activateLicense({ licenseKey: key, instanceId: "wh-b" }, ctx)).rejects.toMatchObject({
        code: "ACTIVATION_LIMIT_REACHED",
      });
    }
    expect((await typesOf(license.id)).filter((t) => t === "activation.refused")).toHaveLength(1);

    // A refusal that is not the limit is no "activation.refused" event.
    await revokeById(license.id, ctx);
    await expect(activateLicense({ licenseKey: key, instanceId: "wh-c" }, ctx)).rejects.toMatchObject({
      code: "LICENSE_REVOKED",
    });
    expect((await typesOf(license.id)).filter((t) => t === "activation.refused")).toHaveLength(1);

    const silent = await issueLicense({ plan: "starter", email: testEmail("wh-cull") }, ctx);
    await activateLicense({ licenseKey: silent.key, instanceId: "wh-silent" }, ctx);
    const later = new Date(Date.now() + 60 * 86_400_000);
    await cullSilentInstallations(later, { licenseIds: [silent.license.id], mail: false });
    expect(await typesOf(silent.license.id)).toEqual(["license.created", "activation.created", "activation.culled"]);
  });

  it("usage: 80% and 100% of the month's tickets, each once, by the report that crossed it", async () => {
    const { license, key } = await issueLicense(
      { plan: "starter", email: testEmail("wh-usage"), limits: { maxTicketsPerMonth: 10 } },
      ctx,
    );
    await activateLicense({ licenseKey: key, instanceId: "wh-u" }, ctx);
    const report = (tickets: number) => reserveTickets({ licenseKey: key, instanceId: "wh-u", tickets }, ctx);
    await report(7);
    await report(1); // 8 of 10: 80%
    await report(1);
    await report(1); // 10 of 10: 100%
    await expect(report(1)).rejects.toMatchObject({ code: "USAGE_LIMIT_EXCEEDED" });
    const usage = (await eventsOf(license.id)).filter((e) => e.type.startsWith("usage."));
    expect(usage.map((e) => e.type)).toEqual(["usage.near_limit", "usage.limit_reached"]);
    expect(usage[0]!.payload).toMatchObject({ data: { tickets: 8, limit: 10 } });
    expect(usage[1]!.payload).toMatchObject({ data: { tickets: 10, limit: 10 } });
  });

  it("usage: a customer stopped short of the limit (95%, then refused) is at the limit too — once", async () => {
    const { license, key } = await issueLicense(
      { plan: "starter", email: testEmail("wh-usage95"), limits: { maxTicketsPerMonth: 100 } },
      ctx,
    );
    await activateLicense({ licenseKey: key, instanceId: "wh-u95" }, ctx);
    const report = (tickets: number) => reserveTickets({ licenseKey: key, instanceId: "wh-u95", tickets }, ctx);
    await report(50);
    await report(45);
    for (let i = 0; i < 3; i++) await expect(report(10)).rejects.toMatchObject({ code: "USAGE_LIMIT_EXCEEDED" });
    // One report larger than the whole month's limit is refused without saying the month is used up.
    const usage = (await eventsOf(license.id)).filter((e) => e.type.startsWith("usage."));
    expect(usage.map((e) => e.type)).toEqual(["usage.near_limit", "usage.limit_reached"]);
    expect(usage[1]!.payload).toMatchObject({ data: { tickets: 95, limit: 100, refused: 10 } });

    const fresh = await issueLicense(
      { plan: "starter", email: testEmail("wh-usage-big"), limits: { maxTicketsPerMonth: 100 } },
      ctx,
    );
    await activateLicense({ licenseKey: fresh.key, instanceId: "wh-big" }, ctx);
    await expect(
      reserveTickets({ licenseKey: fresh.key, instanceId: "wh-big", tickets: 500 }, ctx),
    ).rejects.toMatchObject({ code: "USAGE_LIMIT_EXCEEDED" });
    expect((await typesOf(fresh.license.id)).filter((t) => t.startsWith("usage."))).toEqual([]);
  });

  it("plan changes: the old license superseded, the new one upgraded or downgraded", async () => {
    const up = await issueLicense({ plan: "starter", email: testEmail("wh-up") }, ctx);
    const upgraded = await getDb().transaction((tx) =>
      issueUpgrade(tx, up.license, { plan: "professional", email: up.license.email }, ctx, { reason: "upgrade" }),
    );
    expect(await typesOf(up.license.id)).toEqual(["license.created", "license.superseded"]);
    // A plan change is no new sale: the new license is announced once, as the upgrade.
    expect(await typesOf(upgraded.license.id)).toEqual(["license.upgraded"]);
    const [event] = (await eventsOf(upgraded.license.id)).slice(-1);
    expect(event!.payload).toMatchObject({ data: { previousLicenseId: up.license.id } });

    const down = await issueLicense({ plan: "professional", email: testEmail("wh-down") }, ctx);
    const downgraded = await getDb().transaction((tx) =>
      issueUpgrade(tx, down.license, { plan: "starter", email: down.license.email }, ctx, {
        reason: "downgrade at renewal",
      }),
    );
    expect(await typesOf(downgraded.license.id)).toEqual(["license.downgraded"]);
  });

  it("license.expired: once per expiry date, however many runs race", async () => {
    const { license } = await issueLicense(
      { plan: "starter", email: testEmail("wh-exp"), expiresAt: new Date(Date.now() + 86_400_000) },
      ctx,
    );
    const after = new Date(Date.now() + 2 * 86_400_000);
    await Promise.all([recordExpiries(after), recordExpiries(after), recordExpiries(after)]);
    await recordExpiries(after);
    expect(await typesOf(license.id)).toEqual(["license.created", "license.expired"]);
    const [, expired] = await eventsOf(license.id);
    // The license as installations see it now, not just its stored state.
    expect(expired!.payload).toMatchObject({
      data: { license: { state: "active", status: "expired", statusCode: "LICENSE_EXPIRED" } },
    });
  });

  it("a rolled-back change writes no event and wakes no listener; a committed one does, on commit", async () => {
    const { license } = await issueLicense({ plan: "starter", email: testEmail("wh-rollback") }, ctx);
    const listener = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    const notified: number[] = [];
    await listener.listen(WEBHOOK_NOTIFY_CHANNEL, () => notified.push(Date.now()));
    try {
      await expect(
        getDb().transaction(async (tx) => {
          await recordAudit(tx, ctx, { licenseId: license.id, action: "license.suspended", detail: {} });
          throw new Error("the change failed after its audit");
        }),
      ).rejects.toThrow("the change failed");
      // A refused state change (CONFLICT) rolls back the same way.
      await revokeById(license.id, ctx);
      await expect.poll(() => notified.length).toBeGreaterThanOrEqual(1); // the revoke's commit woke it
      const before = notified.length;
      await expect(suspendById(license.id, ctx)).rejects.toMatchObject({ code: "CONFLICT" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(notified.length).toBe(before);
      expect(await typesOf(license.id)).toEqual(["license.created", "license.revoked"]);
    } finally {
      await listener.end({ timeout: 1 });
    }
  });

  it("no endpoint subscribed, nothing written: the outbox holds what will be sent", async () => {
    await getDb().update(webhookEndpoints).set({ enabled: false }).where(eq(webhookEndpoints.id, endpointId));
    try {
      const { license } = await issueLicense({ plan: "starter", email: testEmail("wh-none") }, ctx);
      const mine = await getDb().execute<{ n: number }>(
        sql`select count(*)::int as n from webhook_deliveries d join webhook_events e on e.id = d.event_id
             where e.license_id = ${license.id} and d.endpoint_id = ${endpointId}`,
      );
      expect(mine[0]!.n).toBe(0);
    } finally {
      await getDb().update(webhookEndpoints).set({ enabled: true }).where(eq(webhookEndpoints.id, endpointId));
    }
  });
});

describe("the delivery log's retention", () => {
  it("prunes events past WEBHOOK_RETENTION_DAYS with their deliveries, but never one still pending", async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const ids = { done: newEventId(), pending: newEventId() };
    for (const [id, status] of [
      [ids.done, "delivered"],
      [ids.pending, "pending"],
    ] as const) {
      await getDb().execute(sql`
        with e as (insert into webhook_events (id, type, payload, created_at)
                   values (${id}, 'license.created', '{}'::jsonb, ${old}::timestamptz) returning id)
        insert into webhook_deliveries (event_id, endpoint_id, stream, status, scheduled, created_at)
        select e.id, ${endpointId}, '-', ${status}, true, ${old}::timestamptz from e`);
    }
    await pruneWebhookHistory(new Date(), 30);
    const left = await getDb().execute<{ id: string }>(
      sql`select id from webhook_events where id in (${ids.done}, ${ids.pending})`,
    );
    expect(left.map((r) => r.id)).toEqual([ids.pending]);
    const deliveries = await getDb().execute<{ n: number }>(
      sql`select count(*)::int as n from webhook_deliveries where event_id = ${ids.done}`,
    );
    expect(deliveries[0]!.n).toBe(0);
    await getDb().execute(sql`delete from webhook_events where id = ${ids.pending}`);
  });
});
