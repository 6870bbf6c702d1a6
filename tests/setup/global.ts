/**
 * One database for the whole run: the embedded server in a fresh temporary
 * folder (default), or the PostgreSQL in DATABASE_URL, migrated. Workers
 * inherit DATABASE_URL and DATA_DIR (and so the same server secrets).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureEmbeddedDatabase } from "@ticketzero/core/db/embedded";
import { runMigrations } from "@ticketzero/core/db/migrate";
import type { TestProject } from "vitest/node";

export default async function setup(_project: TestProject) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tz-test-"));
  process.env.DATA_DIR = dataDir;
  process.env.APP_ENV = "development";
  let stop = async () => {};
  if (process.env.DATABASE_URL) {
    await runMigrations(process.env.DATABASE_URL);
    console.info("[tests] PostgreSQL at DATABASE_URL");
  } else {
    const handle = await ensureEmbeddedDatabase(dataDir);
    process.env.DATABASE_URL = handle.url;
    process.env.TZ_TEST_EMBEDDED = "1";
    stop = handle.stop;
    console.info(`[tests] embedded PostgreSQL on ${new URL(handle.url).host}`);
  }
  return async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
