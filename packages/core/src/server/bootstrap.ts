/**
 * Brings up the database for a process: the embedded server (found or
 * started) when DATABASE_URL is unset, else the given PostgreSQL, migrated
 * either way. Used by the app, the CLI, the tests and the benchmark.
 */
import { ensureEmbeddedDatabase } from "../db/embedded";
import { runMigrationsInChild } from "../db/migrations-process";
import { sessionDatabaseUrl } from "../db/urls";
import { config } from "./config";
import { secrets } from "./secrets";

export type Database = { url: string; embedded: boolean; stop(): Promise<void> };

export async function bootstrapDatabase(): Promise<Database> {
  secrets(); // fail fast on missing or malformed secrets
  const given = config().databaseUrl;
  if (given) {
    // The migrations hold a session-level advisory lock: not through a transaction-mode pooler.
    await runMigrationsInChild(sessionDatabaseUrl());
    return { url: given, embedded: false, stop: async () => {} };
  }
  const handle = await ensureEmbeddedDatabase(config().dataDir);
  process.env.DATABASE_URL = handle.url;
  return { url: handle.url, embedded: true, stop: handle.stop };
}

/**
 * Validates the configuration (one zod schema; production requires its secrets, Stripe,
 * SMTP and PUBLIC_URL) and the secrets themselves, before the app takes traffic.
 * Throws a ConfigError that names every problem.
 */
export function assertProductionReady(): void {
  config();
  secrets();
}
