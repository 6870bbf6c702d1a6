/**
 * Where the database is, without loading a driver: the supervisor reads these
 * too, and it stays small (the driver and Drizzle cost a process ~165 MB; see
 * README "Memory").
 */

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL; // set by bootstrapDatabase() for the embedded default, after config is read
  if (!url) throw new Error("DATABASE_URL is not set: start through `npm start`/`npm run dev`, which provide it");
  return url;
}

/**
 * A connection that keeps its session: LISTEN (the status cache, the webhook scheduler), the job
 * runner and the migrations' advisory lock. DATABASE_SESSION_URL when DATABASE_URL goes through a
 * pooler in transaction mode (PgBouncer; docs/SCALE-OUT.md), else DATABASE_URL itself.
 */
export function sessionDatabaseUrl(): string {
  return process.env.DATABASE_SESSION_URL || databaseUrl();
}

/** `url` with `application_name` set (unless it names one): each pool and session shows what it is in pg_stat_activity. */
export function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has("application_name")) parsed.searchParams.set("application_name", name);
  return parsed.toString();
}

/** A quoted SQL identifier (a schema name given in configuration or by a test). */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
