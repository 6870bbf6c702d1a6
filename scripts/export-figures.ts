/**
 * `npm run -s build:core && npx tsx scripts/export-figures.ts`: the back office's license CSV export at scale. On a
 * fresh embedded database in a temporary folder (never DATABASE_URL), inserts
 * EXPORT_ROWS licenses (default 1,000,000), streams the export to nowhere and
 * prints rows, bytes, seconds and the process's peak RSS growth: the figure
 * that shows rows are never all in memory. Exits 1 when a row is missing.
 */
import "./support/require-supported-node";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROWS = Number(process.env.EXPORT_ROWS || 1_000_000);
const dataDir = mkdtempSync(path.join(os.tmpdir(), "tz-export-"));
process.env.DATA_DIR = dataDir;
process.env.APP_ENV = "development";
delete process.env.DATABASE_URL; // the embedded server below, never a shared one

const { ensureEmbeddedDatabase } = await import("@ticketzero/core/db/embedded");
const { runMigrations } = await import("@ticketzero/core/db/migrate");
const handle = await ensureEmbeddedDatabase(dataDir);
process.env.DATABASE_URL = handle.url;
await runMigrations(handle.url);
const { closeDb, getSql } = await import("@ticketzero/core/db/client");
const { exportCsv } = await import("@ticketzero/core/license/exports");

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
try {
  let started = performance.now();
  await getSql()`
    insert into licenses (key_hash, key_ciphertext, key_masked, plan, max_clients, max_tickets_per_month,
      max_activations, features, email, company, expires_at)
    select md5(g::text), 'x', 'TZ-PRO-****-****-****-' || lpad((g % 10000)::text, 4, '0'), 'professional',
      10, 1000, 3, '[]'::jsonb, 'bench-' || g || '@example.test', 'Bench, "Co" ' || g, now() + interval '1 year'
    from generate_series(1, ${ROWS}) g`;
  console.log(
    `inserted ${ROWS.toLocaleString("en-US")} licenses in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  started = performance.now();
  const { stream } = await exportCsv("licenses");
  const reader = stream.getReader();
  let bytes = 0;
  let lines = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    bytes += next.value.byteLength;
    for (const byte of next.value) if (byte === 10) lines++;
  }
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const rows = lines - 1; // the header
  console.log(
    `exported ${rows.toLocaleString("en-US")} rows, ${mb(bytes)} in ${seconds.toFixed(1)} s ` +
      `(${Math.round(rows / seconds).toLocaleString("en-US")} rows/s); RSS ${mb(rssBefore)} → peak ${mb(peak)} ` +
      `(+${mb(peak - rssBefore)}, the file is ${mb(bytes)})`,
  );
  if (rows !== ROWS) {
    console.error(`expected ${ROWS} rows`);
    process.exitCode = 1;
  }
} finally {
  await closeDb();
  await handle.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
