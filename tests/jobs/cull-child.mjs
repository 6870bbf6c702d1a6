// One "app process" for tests/jobs/heartbeats.test.ts: waits for the shared start time, then
// culls with the injected `now` against DATABASE_URL through the built core, and prints what it culled.
import { closeDb } from "@ticketzero/core/db/client";
import { cullSilentInstallations } from "@ticketzero/core/license/heartbeats";

const now = new Date(process.env.CULL_NOW);
const licenseIds = JSON.parse(process.env.CULL_LICENSES);
const startAt = Number(process.env.CULL_START_AT);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
const run = await cullSilentInstallations(now, { licenseIds, batchSize: Number(process.env.CULL_BATCH || 500) });
await closeDb();
process.stdout.write(
  `\nRESULT ${JSON.stringify({ culled: run.culled.map((c) => c.activationId), mailed: run.mailed, failed: run.failedMails.length })}\n`,
);
