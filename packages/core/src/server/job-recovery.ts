/**
 * Jobs left locked by an app process that died while running them (an
 * out-of-memory kill, a host that went away). graphile-worker frees such a
 * job only after 4 hours, and a webhook endpoint's queue (one job at a time)
 * or a recurring task's queue stays locked with it: deliveries to that
 * endpoint, or the reminders, would stop for 4 hours.
 *
 * Each runner proves itself alive: its presence session (a connection of its
 * own) holds a session-level advisory lock per worker pool
 * (`tz-job-worker:<pool id>`; graphile-worker locks jobs and queues in the
 * pool's name). A session ends with its process, and its locks with it. The
 * `recover-jobs` task (every minute, one runner at a time) finds the pools
 * holding a job or a queue for more than RECOVER_AFTER_SECONDS whose lock
 * nobody holds, and gives their jobs back (graphile-worker's
 * force_unlock_workers); a job that kills its process every time still stops
 * at its max attempts, which count each time a job is taken.
 *
 * Why both conditions: a live process whose presence session dropped for a
 * moment (a database blip) takes its locks again when it reconnects; only a
 * job locked for longer than any run takes is a candidate, so a blip alone
 * gives nothing back that is still running.
 */
import type { EventEmitter } from "node:events";
import { sql } from "drizzle-orm";
import { getDb, quoteIdent } from "../db/client";
import { keepSession } from "../db/listen";

export const RECOVER_AFTER_SECONDS = 120;
const LOCK = "select pg_advisory_lock(hashtextextended('tz-job-worker:' || $1, 0))";
const UNLOCK = "select pg_advisory_unlock(hashtextextended('tz-job-worker:' || $1, 0))";

/** The presence of one runner's worker pools: from graphile-worker's pool:create until the pool has shut down. */
export function keepWorkersPresent(url: string, events: EventEmitter): { stop(): Promise<void> } {
  const pools = new Set<string>();
  let held = new Set<string>(); // what the current session holds
  let syncing: Promise<void> = Promise.resolve();
  const sync = () => {
    syncing = syncing.then(async () => {
      const client = session.client;
      if (!client) return;
      try {
        for (const id of pools) {
          if (held.has(id)) continue;
          await client.query(LOCK, [id]);
          held.add(id);
        }
        for (const id of held) {
          if (pools.has(id)) continue;
          await client.query(UNLOCK, [id]);
          held.delete(id);
        }
      } catch {
        // The session went away: the next one takes them all (onConnect resets `held`).
      }
    });
  };
  const session = keepSession(url, {
    onConnect: () => {
      held = new Set();
    },
    onReady: sync,
  });
  const onCreate = ({ workerPool }: { workerPool: { id: string } }) => {
    pools.add(workerPool.id);
    sync();
  };
  // Only once its jobs are finished or given back: a pool shutting down still runs them.
  const onDone = ({ workerPool }: { workerPool: { id: string } }) => {
    pools.delete(workerPool.id);
    sync();
  };
  const DONE = ["pool:gracefulShutdown:complete", "pool:forcefulShutdown:complete"];
  events.on("pool:create", onCreate);
  for (const name of DONE) events.on(name, onDone);
  return {
    async stop() {
      events.off("pool:create", onCreate);
      for (const name of DONE) events.off(name, onDone);
      await syncing;
      await session.stop();
    },
  };
}

/** Gives back the jobs and queues of workers that are gone (see above); returns their ids. */
export async function recoverStoppedWorkers(
  schema: string,
  olderThanSeconds = RECOVER_AFTER_SECONDS,
): Promise<string[]> {
  const s = quoteIdent(schema);
  return getDb().transaction(async (tx) => {
    // A transaction-level try-lock succeeds only where no session holds the worker's lock.
    const rows = await tx.execute<{ worker: string }>(sql`
      select worker from (
        select distinct locked_by as worker from ${sql.raw(`${s}._private_jobs`)}
         where locked_by is not null and locked_at < now() - make_interval(secs => ${olderThanSeconds})
        union
        select distinct locked_by from ${sql.raw(`${s}._private_job_queues`)}
         where locked_by is not null and locked_at < now() - make_interval(secs => ${olderThanSeconds})
      ) candidates
      where pg_try_advisory_xact_lock(hashtextextended('tz-job-worker:' || worker, 0))`);
    const workers = rows.map((r) => r.worker);
    if (workers.length) {
      const ids = sql.join(
        workers.map((w) => sql`${w}`),
        sql`, `,
      );
      await tx.execute(sql`select ${sql.raw(`${s}.force_unlock_workers`)}(array[${ids}]::text[])`);
    }
    return workers;
  });
}
