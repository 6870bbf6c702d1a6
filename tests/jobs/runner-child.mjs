// An app process's job runner for tests/jobs/recovery.test.ts: the built core's startJobs on the
// test's schema and endpoint, against DATABASE_URL; prints READY once it takes jobs. The test kills it.
import { startJobs } from "@ticketzero/core/server/jobs";

const jobs = startJobs({
  schema: process.env.JOBS_SCHEMA,
  reminderMinutes: 0,
  cullMinutes: 0,
  pruneMinutes: 0,
  expiryMinutes: 0,
  pollInterval: 50,
  webhooks: { endpointIds: [process.env.ENDPOINT_ID], timeoutMs: 60_000 },
  recovery: { leaseRefreshMs: 200 },
});
await jobs.ready;
process.stdout.write("READY\n");
setInterval(() => {}, 1_000); // runs until killed
