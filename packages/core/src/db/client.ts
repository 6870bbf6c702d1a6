/**
 * The app's one database path: postgres.js through Drizzle, to PostgreSQL or
 * to the embedded server. One pool per process: the core is loaded once per
 * process (scripts/build-core.ts), so a module-level pool is shared by the
 * fast path, both Next.js server runtimes, the CLI and the timers.
 */
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { config } from "../server/config";
import * as schema from "./schema";
import { databaseUrl } from "./urls";

export { databaseUrl, quoteIdent, sessionDatabaseUrl, withApplicationName } from "./urls";

export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

let pool: { db: Db; sql: postgres.Sql } | null = null;
let counterPool: postgres.Sql | null = null;

/**
 * Seconds before reconnecting after a failed attempt. postgres.js's default
 * grows to 20 s, so after a 10-second blip the app would wait on its own
 * backoff long after the database is back; this caps the wait at one second.
 */
const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 1);

export function connect(url: string, max = config().poolSize) {
  const sql = postgres(url, {
    max,
    connect_timeout: 2,
    idle_timeout: 60,
    backoff: reconnectBackoff,
    onnotice: () => {},
    connection: { application_name: "ticketzero-license-portal" },
  });
  return { sql, db: drizzle(sql, { schema }) };
}

export function getDb(): Db {
  pool ??= connect(databaseUrl());
  return pool.db;
}

export function getSql(): postgres.Sql {
  pool ??= connect(databaseUrl());
  return pool.sql;
}

/**
 * A small second pool for rate-limit counters, with `synchronous_commit=off`:
 * a counter lost in a crash costs nothing, and not waiting for the WAL flush
 * keeps these writes off the hot path's critical latency. License data always
 * goes through the durable pool above.
 */
export function getCounterSql(): postgres.Sql {
  counterPool ??= postgres(databaseUrl(), {
    max: 4,
    connect_timeout: 2,
    idle_timeout: 60,
    backoff: reconnectBackoff,
    onnotice: () => {},
    connection: { application_name: "ticketzero-license-portal-counters", synchronous_commit: "off" },
  });
  return counterPool;
}

export async function closeDb(): Promise<void> {
  const current = pool;
  const counterSql = counterPool;
  pool = null;
  counterPool = null;
  await Promise.all([current?.sql.end({ timeout: 5 }), counterSql?.end({ timeout: 5 })]);
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "08000",
  "08003",
  "08006",
]);

/** True when an error means "the database is not there right now" (answer 503, retry later). */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
