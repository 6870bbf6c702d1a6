/**
 * A job runner whose process dies mid-job (SIGKILL, as an out-of-memory kill
 * does) leaves its job and its queue locked; graphile-worker alone would free
 * them after 4 hours, and a webhook endpoint's deliveries (one queue) would
 * stop that long. What must never happen: a live runner's job given back, or
 * a dead one's kept. server/job-recovery.ts: each runner's pools hold a lease
 * their process refreshes (every 200 ms in this test); recovery gives back
 * only what a pool whose lease went stale holds.
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { getDb } from "@ticketzero/core/db/client";
import { webhookDeliveries, webhookEndpoints } from "@ticketzero/core/db/schema";
import { suspendById } from "@ticketzero/core/license/backoffice";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { createEndpoint } from "@ticketzero/core/license/webhooks";
import { resetConfig } from "@ticketzero/core/server/config";
import { recoverStoppedWorkers } from "@ticketzero/core/server/job-recovery";
import type { JobsHandle } from "@ticketzero/core/server/jobs";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { suffix, testEmail } from "../support/http";
import { startTestJobs } from "../support/jobs";

const schema = `tz_jobs_rec_${suffix()}`;
const ctx = { actor: "test:recovery" };
let endpointId = "";
let jobs: JobsHandle | null = null;
const received: string[] = [];
const held: ServerResponse[] = [];
// The receiver holds its first request unanswered (the dying runner's attempt), then answers 200.
const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  req.on("end", () => {
    received.push(String(req.headers["webhook-id"]));
    if (received.length === 1) held.push(res);
    else res.writeHead(200).end("ok");
  });
});

const lockedWorkers = async () =>
  (
    await getDb().execute<{ locked_by: string }>(
      sql.raw(`select locked_by from "${schema}"._private_jobs where locked_by is not null`),
    )
  ).map((r) => r.locked_by);

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = "true";
  resetConfig();
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  endpointId = (await createEndpoint({ url, events: ["license.suspended"] }, ctx)).endpoint.id;
});

afterAll(async () => {
  await jobs?.stop();
  for (const res of held) res.destroy();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  if (endpointId) await getDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
  await getDb().execute(sql.raw(`drop schema if exists "${schema}" cascade`));
  delete process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS;
  resetConfig();
});

it("a runner killed mid-delivery: its job is kept while it lives, given back once it is gone, then delivered", async () => {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, "runner-child.mjs")], {
    env: { ...process.env, JOBS_SCHEMA: schema, ENDPOINT_ID: endpointId, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("READY") && resolve());
      child.once("exit", (code) => reject(new Error(`the runner exited (${code}) before it was ready`)));
    });
    const { license } = await issueLicense({ plan: "starter", email: testEmail("recovery") }, ctx);
    await suspendById(license.id, ctx, "recovery test");
    // The child's worker has the delivery job and waits on the receiver.
    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(1);
    const [worker] = await lockedWorkers();
    expect(worker).toBeTruthy();

    // Alive: nothing is given back while its lease is fresh, however long it holds the job.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await recoverStoppedWorkers(schema, 2)).toEqual([]);
    expect(await lockedWorkers()).toEqual([worker]);

    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    // Its lease goes stale: then its job (and its endpoint's queue) comes back.
    await expect.poll(() => recoverStoppedWorkers(schema, 2), { timeout: 10_000 }).toEqual([worker]);
    expect(await lockedWorkers()).toEqual([]);
    const queues = await getDb().execute<{ locked_by: string | null }>(
      sql.raw(`select locked_by from "${schema}"._private_job_queues where locked_by is not null`),
    );
    expect(queues).toHaveLength(0);
  } finally {
    child.kill("SIGKILL");
  }

  // Another runner takes the job at once (not 4 hours later) and delivers the same event.
  jobs = startTestJobs(schema, {
    webhooks: { endpointIds: [endpointId], timeoutMs: 5_000 },
  });
  await expect
    .poll(
      async () =>
        (
          await getDb()
            .select({ status: webhookDeliveries.status })
            .from(webhookDeliveries)
            .where(eq(webhookDeliveries.endpointId, endpointId))
        ).map((d) => d.status),
      { timeout: 20_000 },
    )
    .toEqual(["delivered"]);
  expect(received).toHaveLength(2);
  expect(received[1]).toBe(received[0]); // the same event, at least once
});
