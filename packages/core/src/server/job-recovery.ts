/**
 * Jobs left locked by an app process that died while running them (an
 * out-of-memory kill, a host that went away). graphile-worker frees such a
 * job only after 4 hours, and a webhook endpoint's queue (one job at a time)
 * or a recurring task's queue stays locked with it: deliveries to that
 * endpoint, or the reminders, would stop for 4 hours.
 *
 * Each runner keeps a lease per worker pool (graphile-worker locks jobs and
 * queues in the pool's name): a `job_runner_pools` row its process refreshes
 * every 15 s and removes when the pool has ended. The `recover-jobs` task
 * (every minute, one run at a time) finds the pools that have held a job or
 * a queue for more than RECOVER_AFTER_SECONDS and whose lease is as old (or
 * missing), and gives their jobs back (graphile-worker's
 * force_unlock_workers). A job that kills its process every time still stops
 * at its max attempts, which count each time a job is taken.
 *
 * What must never happen: a live runner's job given back while it runs. A
 * live process refreshes its lease four times in the threshold; the database's
 * clock judges both. One case remains, documented: a process cut off from the
 * database for longer than the threshold, whose job somehow runs on through the
 * outage, may see it run a second time (at least once, as always).
 */
import { EventEmitter } from "node:events";
import { sql } from "drizzle-orm";
import { getDb, quoteIdent } from "../db/client";

export const RECOVER_AFTER_SECONDS = 120;
export const LEASE_REFRESH_MS = 15_000;

type PoolEvent = { workerPool: { id: string } };

/** Keeps the leases of the pools `events` announces, from pool:create to pool:release. */
export function keepPoolLeases(events: EventEmitter, refreshMs = LEASE_REFRESH_MS): { stop(): Promise<void> } {
  const pools = new Set<string>();
  const refresh = async (ids: string[]) => {
    if (!ids.length) return;
    const list = sql.join(
      ids.map((id) => sql`(${id})`),
      sql`, `,
    );
    await getDb()
      .execute(sql`insert into job_runner_pools (pool_id) values ${list}
                   on conflict (pool_id) do update set seen_at = now()`)
      .catch(() => {}); // the database is away: the next refresh tries again
  };
  const onCreate = ({ workerPool }: PoolEvent) => {
    pools.add(workerPool.id);
    void refresh([workerPool.id]);
  };
  // pool:release comes last, however the pool ended (its jobs finished, given back, or failed).
  const onRelease = ({ workerPool }: PoolEvent) => {
    pools.delete(workerPool.id);
    void getDb()
      .execute(sql`delete from job_runner_pools where pool_id = ${workerPool.id}`)
      .catch(() => {}); // a stale row holds nothing: recovery removes it
  };
  events.on("pool:create", onCreate);
  events.on("pool:release", onRelease);
  const timer = setInterval(() => void refresh([...pools]), refreshMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      events.off("pool:create", onCreate);
      events.off("pool:release", onRelease);
    },
  };
}

/**
 * Gives back the jobs and queues of pools that are gone: held longer than `afterSeconds`, by a
 * pool whose lease is at least as old or missing. Returns their ids.
 */
export async function recoverStoppedWorkers(schema: string, afterSeconds = RECOVER_AFTER_SECONDS): Promise<string[]> {
  const s = quoteIdent(schema);
  return getDb().transaction(async (tx) => {
    const rows = await tx.execute<{ pool: string }>(sql`
      with held as (
        select locked_by as pool, locked_at from ${sql.raw(`${s}._private_jobs`)} where locked_by is not null
        union all
        select locked_by, locked_at from ${sql.raw(`${s}._private_job_queues`)} where locked_by is not null
      )
      select h.pool from held h left join job_runner_pools p on p.pool_id = h.pool
       group by h.pool, p.seen_at
      having min(h.locked_at) < now() - make_interval(secs => ${afterSeconds})
         and (p.seen_at is null or p.seen_at < now() - make_interval(secs => ${afterSeconds}))`);
    const pools = rows.map((r) => r.pool);
    if (pools.length) {
      const ids = sql`array[${sql.join(
        pools.map((p) => sql`${p}`),
        sql`, `,
      )}]::text[]`;
      await tx.execute(sql`select ${sql.raw(`${s}.force_unlock_workers`)}(${ids})`);
      await tx.execute(sql`delete from job_runner_pools where pool_id = any(${ids})`);
    }
    return pools;
  });
}

/**
 * graphile-worker's events for one runner: its own emitter (so a runner keeps only its own pools'
 * leases), forwarding everything to `also` (a test's emitter) when given.
 */
export function runnerEvents(also?: EventEmitter): EventEmitter {
  const own = new EventEmitter();
  if (also) {
    const emit = own.emit.bind(own);
    own.emit = (name: string | symbol, ...args: unknown[]) => {
      also.emit(name, ...args);
      return emit(name, ...args);
    };
  }
  return own;
}
