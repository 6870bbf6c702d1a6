/**
 * A job runner for a test: its own graphile-worker schema, no recurring task
 * (the test runs what it needs), a quick poll. `overrides` add the test's own
 * settings (webhook scope and timings, events, recovery).
 */
import { type JobsOptions, startJobs } from "@ticketzero/core/server/jobs";

export function startTestJobs(schema: string, overrides: Omit<JobsOptions, "schema"> = {}) {
  return startJobs({
    schema,
    reminderMinutes: 0,
    cullMinutes: 0,
    pruneMinutes: 0,
    expiryMinutes: 0,
    figuresMinutes: 0,
    pollInterval: 50,
    ...overrides,
  });
}
