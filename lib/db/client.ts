/**
 * The app's one database path: postgres.js through Drizzle, to PostgreSQL or
 * to the embedded PostgreSQL server (lib/db/embedded.ts). One pool per
 * process, shared through globalThis by the fast server and the Next.js
 * bundle, which otherwise would each load their own copy of this module.
 */
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "@/db/schema";

export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

type Holder = { __tzDb?: { db: Db; sql: postgres.Sql; url: string } };
const holder = globalThis as unknown as Holder;

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: start through `npm start`/`npm run dev`, which provide it");
  return url;
}

export function connect(url: string, max = Number(process.env.DB_POOL_SIZE || 10)) {
  const sql = postgres(url, {
    max,
    connect_timeout: 5,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: "ticketzero-license-portal" },
  });
  return { sql, db: drizzle(sql, { schema }) };
}

export function getDb(): Db {
  if (!holder.__tzDb) holder.__tzDb = { ...connect(databaseUrl()), url: databaseUrl() };
  return holder.__tzDb.db;
}

export function getSql(): postgres.Sql {
  getDb();
  return holder.__tzDb!.sql;
}

const counters = globalThis as unknown as { __tzCounterSql?: postgres.Sql };

/**
 * A small second pool for rate-limit counters, with `synchronous_commit=off`:
 * a counter lost in a crash costs nothing, and not waiting for the WAL flush
 * keeps these writes off the hot path's critical latency. License data always
 * goes through the durable pool above.
 */
export function getCounterSql(): postgres.Sql {
  counters.__tzCounterSql ??= postgres(databaseUrl(), {
    max: 4,
    connect_timeout: 5,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: "ticketzero-license-portal-counters", synchronous_commit: "off" },
  });
  return counters.__tzCounterSql;
}

export async function closeDb(): Promise<void> {
  const current = holder.__tzDb;
  const counterSql = counters.__tzCounterSql;
  holder.__tzDb = undefined;
  counters.__tzCounterSql = undefined;
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
