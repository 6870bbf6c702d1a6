/**
 * The job runner keeps running: when graphile-worker's pool ends while the
 * app process should run jobs (a fatal error, a breaking-migration notice
 * from another schema), startJobs starts another one (RESTART_DELAY_MS, 10 s).
 * graphile-worker 0.18 resolves the runner's promise however the pool ended,
 * so a restart that waited for a rejection would never come.
 */
import { EventEmitter } from "node:events";
import { getDb } from "@ticketzero/core/db/client";
import type { JobsHandle } from "@ticketzero/core/server/jobs";
import { sql } from "drizzle-orm";
import type { WorkerEvents } from "graphile-worker";
import { afterAll, expect, it } from "vitest";
import { suffix } from "../support/http";
import { startTestJobs } from "../support/jobs";

const schema = `tz_jobs_run_${suffix()}`;
let jobs: JobsHandle | null = null;

afterAll(async () => {
  await jobs?.stop();
  await getDb().execute(sql.raw(`drop schema if exists "${schema}" cascade`));
});

it("a pool that ends is replaced by a new one, whose lease is kept", async () => {
  const events = new EventEmitter();
  const pools: { id: string; gracefulShutdown(reason?: string): unknown }[] = [];
  events.on("pool:create", ({ workerPool }) => pools.push(workerPool));
  jobs = startTestJobs(schema, {
    events: events as unknown as WorkerEvents,
    webhooks: { endpointIds: [], listen: false },
  });
  await jobs.ready;
  expect(pools).toHaveLength(1);
  await pools[0]!.gracefulShutdown("the test ends this pool");
  await expect.poll(() => pools.length, { timeout: 20_000, interval: 200 }).toBe(2);
  const leases = async () =>
    (
      await getDb().execute<{ pool_id: string }>(
        sql`select pool_id from job_runner_pools where pool_id in (${sql.join(
          pools.map((p) => sql`${p.id}`),
          sql`, `,
        )})`,
      )
    ).map((r) => r.pool_id);
  // The ended pool's lease went with it; the new one holds its own.
  await expect.poll(leases, { timeout: 5_000 }).toEqual([pools[1]!.id]);
}, 40_000);
