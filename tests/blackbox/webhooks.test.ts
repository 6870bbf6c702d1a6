/**
 * Outbound webhooks across processes: two real app processes (the launcher
 * with the production build, jobs on) on one database, each LISTENing and
 * running the delivery job. N events on several licenses: the receiver gets
 * each webhook-id exactly once, and each license's events in the order they
 * were emitted (one job per stream at a time, across processes).
 */
import { getDb } from "@ticketzero/core/db/client";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "@ticketzero/core/db/schema";
import { reinstateById, suspendById } from "@ticketzero/core/license/backoffice";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { createEndpoint } from "@ticketzero/core/license/webhooks";
import { resetConfig } from "@ticketzero/core/server/config";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { testEmail } from "../support/http";
import { type Receiver, startReceiver } from "../webhooks/support/receiver";
import { developmentEnv, startProductionBuild } from "./support/server";

const ctx = { actor: "blackbox-webhooks" };
const LICENSES = 6;
const CHANGES = 4; // suspend, reinstate, suspend, reinstate: 24 events
let servers: AppServer[] = [];
let receiver: Receiver;
let endpointId: string;

beforeAll(async () => {
  receiver = await startReceiver();
  // This process saves the endpoint (the test receiver is local); the servers deliver.
  process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = "true";
  resetConfig();
  endpointId = (await createEndpoint({ url: receiver.url, events: ["license.suspended", "license.reinstated"] }, ctx))
    .endpoint.id;
  const env = developmentEnv({
    JOBS: "on",
    WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
    HEARTBEAT_CULL_INTERVAL_MINUTES: "0",
    // An attempt that gets no answer on a loaded machine is retried in about a second, not 30.
    WEBHOOK_RETRY_BASE_SECONDS: "1",
  });
  servers = await Promise.all([startProductionBuild(env), startProductionBuild(env)]);
  // Both runners are up (the queue schema is there) before the first change.
  const deadline = Date.now() + 60_000;
  while (!servers.every((s) => s.output().includes("[jobs] job runner ready"))) {
    if (Date.now() > deadline) throw new Error("the job runners did not start within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (endpointId) await getDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
  await receiver?.close();
  delete process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS;
  resetConfig();
});

it("two app processes deliver each event exactly once, in order per license", async () => {
  const ids: string[] = [];
  for (let i = 0; i < LICENSES; i++) {
    const { license } = await issueLicense({ plan: "starter", email: testEmail(`bb-wh-${i}`) }, ctx);
    ids.push(license.id);
  }
  // Changes interleaved across licenses, some at once.
  for (let round = 0; round < CHANGES; round++) {
    await Promise.all(ids.map((id) => (round % 2 === 0 ? suspendById(id, ctx) : reinstateById(id, ctx))));
  }
  const total = LICENSES * CHANGES;
  // Other files running at the same time suspend licenses too, and this endpoint hears of every
  // license: what counts here is what was sent about this test's own licenses.
  const mine = () =>
    receiver.received.filter((r) =>
      ids.includes((JSON.parse(r.body) as { data: { license: { id: string } } }).data.license.id),
    );
  try {
    await expect.poll(() => mine().length, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(total);
  } catch (error) {
    console.error(`[blackbox] ${mine().length} of ${total} received; deliveries:`, await deliveryReport());
    for (const server of servers) console.error(server.output().slice(-4000));
    throw error;
  }
  await new Promise((r) => setTimeout(r, 2_000)); // a duplicate would arrive by now
  const received = mine().map((r) => String(r.headers["webhook-id"]));
  expect(received).toHaveLength(total);
  expect(new Set(received).size).toBe(total);

  // Per license, the order received is the order emitted.
  const events = await getDb()
    .select({ id: webhookEvents.id, licenseId: webhookEvents.licenseId })
    .from(webhookEvents)
    .where(inArray(webhookEvents.licenseId, ids))
    .orderBy(asc(webhookEvents.seq));
  expect(events).toHaveLength(total);
  for (const id of ids) {
    const emitted = events.filter((e) => e.licenseId === id).map((e) => e.id);
    expect(received.filter((r) => emitted.includes(r))).toEqual(emitted);
  }
  const deliveries = await getDb()
    .select({ status: webhookDeliveries.status, attempts: webhookDeliveries.attempts })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        inArray(
          webhookDeliveries.eventId,
          events.map((e) => e.id),
        ),
      ),
    );
  expect(deliveries.filter((d) => d.status !== "delivered")).toEqual([]);
  // A retry is allowed only after an attempt that got no answer (a connection refused or cut on a
  // loaded machine): every answer the receiver gave was its 200, and none was sent twice (above).
  const answered = await getDb().execute<{ status_code: number | null }>(sql`
    select a.status_code from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
     where d.endpoint_id = ${endpointId} and a.status_code is distinct from 200
       and d.event_id in (select id from webhook_events where license_id = any(${`{${ids.join(",")}}`}::uuid[]))`);
  expect(answered.map((a) => a.status_code)).toEqual(answered.map(() => null));
  expect(servers[0]!.output()).toContain("WEBHOOK_ALLOW_PRIVATE_TARGETS=true");
}, 120_000);

/** Where each delivery stands, with its attempts' errors: what a failure needs to be understood. */
async function deliveryReport() {
  return getDb().execute(sql`
    select d.stream, d.status, d.attempts, d.scheduled, d.next_attempt_at,
           (select json_agg(json_build_object('code', a.status_code, 'error', a.error, 'ms', a.duration_ms) order by a.id)
              from webhook_attempts a where a.delivery_id = d.id) as tries
      from webhook_deliveries d where d.endpoint_id = ${endpointId} order by d.id`);
}
