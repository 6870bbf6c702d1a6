/**
 * The production server for a black-box file: the real launcher with the
 * Next.js build loaded (not --api-only), a separate process on the test
 * run's database, with its settings given as environment.
 */
import { type AppServer, startAppServer } from "../../support/app-server";
import { GENEROUS_LIMITS } from "../../support/http";

/**
 * A development-mode server (dev outbox for sign-in links, generated secrets shared with this
 * process through DATA_DIR, so keys issued here work there). Limits are generous unless a test
 * sets them: each client connects from its own loopback address, so no per-IP budget is shared.
 */
export function developmentEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    APP_ENV: "development",
    DB_POOL_SIZE: "4",
    REMINDERS_INTERVAL_MINUTES: "0",
    TRUST_PROXY: "",
    // Every black-box server runs the job runner on the one test database, so any of them may take a
    // delivery to a test's local receiver: as peers of one deployment, they share its policy.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
    ...GENEROUS_LIMITS,
    ...overrides,
  };
}

/** Starts the server; if it dies before the test stops it, its last output goes to the test log. */
export async function startProductionBuild(env: Record<string, string>, port?: number): Promise<AppServer> {
  const server = await startAppServer({ apiOnly: false, env, port });
  let stopping = false;
  server.process.once("exit", (code, signal) => {
    if (stopping) return;
    console.error(
      `[blackbox] the server on ${server.url} exited by itself (code ${code}, signal ${signal}); its last output:\n${server.output().slice(-6000)}`,
    );
  });
  const stop = server.stop;
  return {
    ...server,
    stop: () => {
      stopping = true;
      return stop();
    },
  };
}
