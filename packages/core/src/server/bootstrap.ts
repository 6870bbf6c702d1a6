/**
 * Brings up the database for a process: the embedded server (found or
 * started) when DATABASE_URL is unset, else the given PostgreSQL, migrated
 * either way. Used by the app, the CLI, the tests and the benchmark.
 */
import { ensureEmbeddedDatabase } from "../db/embedded";
import { runMigrations } from "../db/migrate";
import { config } from "./config";
import { secrets } from "./secrets";

export type Database = { url: string; embedded: boolean; stop(): Promise<void> };

export async function bootstrapDatabase(): Promise<Database> {
  secrets(); // fail fast on missing or malformed secrets
  const given = config().databaseUrl;
  if (given) {
    await runMigrations(given);
    return { url: given, embedded: false, stop: async () => {} };
  }
  const handle = await ensureEmbeddedDatabase(config().dataDir);
  process.env.DATABASE_URL = handle.url;
  return { url: handle.url, embedded: true, stop: handle.stop };
}

/** Production settings that must be present before the app takes traffic. */
export function assertProductionReady(): void {
  if (!config().isProduction) return;
  const missing = [
    "AUTH_SECRET",
    "DATABASE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "SMTP_URL",
    "PUBLIC_URL",
  ].filter((name) => !process.env[name]);
  if (missing.length) {
    throw new Error(
      `APP_ENV=production refuses to start without ${missing.join(", ")} (test-mode checkout and the dev outbox are for development only)`,
    );
  }
}
