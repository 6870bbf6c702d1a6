/**
 * End-to-end tests against the production build, started the way operators
 * start it (scripts/start.ts), on an embedded database in a fresh folder.
 *
 * Prerequisite: a production build (`npm run build`: the core, then Next.js); this file refuses to
 * run without `.next/BUILD_ID` rather than time out waiting for the server.
 * Run: `npm run build && npm run test:e2e`.
 *
 * Two apps: the test-mode one (E2E_PORT) for most specs, and one in Stripe
 * mode (E2E_PORT + 1) whose real Stripe SDK talks to the stand-in process
 * (E2E_PORT + 9000), which also plays Checkout and delivers signed webhooks.
 * The `stripe` project runs tests/e2e/stripe-*.spec.ts against the second app.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

if (!existsSync(path.join(process.cwd(), ".next", "BUILD_ID"))) {
  throw new Error("No production build: run `npm run build` before `npm run test:e2e`.");
}

const PORT = Number(process.env.E2E_PORT || 3210);
const baseURL = `http://localhost:${PORT}`;
// One fresh data folder per run, removed by tests/e2e/web-server.ts; workers inherit it through the environment.
process.env.TZ_E2E_DATA_DIR ||= mkdtempSync(path.join(tmpdir(), "tz-e2e-"));

const STRIPE_PORT = Number(process.env.E2E_STRIPE_PORT || PORT + 1);
const STANDIN_PORT = Number(process.env.E2E_STANDIN_PORT || PORT + 9000);
const stripeBaseURL = `http://localhost:${STRIPE_PORT}`;
process.env.TZ_E2E_STANDIN_URL = `http://127.0.0.1:${STANDIN_PORT}`;
const STRIPE_SPECS = /stripe-.*\.spec\.ts$/;
// The Stripe-mode servers start only when the run can include a Stripe spec (no file filter, or one naming it).
const fileFilters = process.argv.slice(2).filter((a) => /\.spec\.ts$|^tests\//.test(a));
const stripeRun = fileFilters.length === 0 || fileFilters.some((a) => /stripe/.test(a));
// Workers load this file too (with other arguments): only the runner, the first to load it, makes the folder.
process.env.TZ_E2E_RUNNER_PID ||= String(process.pid);
if (stripeRun && process.env.TZ_E2E_RUNNER_PID === String(process.pid)) {
  process.env.TZ_E2E_STRIPE_DATA_DIR ||= mkdtempSync(path.join(tmpdir(), "tz-e2e-stripe-"));
}
const WEBHOOK_SECRET = "whsec_e2e_ticketzero_standin";

const appEnv = {
  NODE_ENV: "production",
  APP_ENV: "development",
  DATABASE_URL: "",
  SMTP_URL: "",
  AUTH_SECRET: "e2e-secret-not-for-production-0123456789abcdef",
  RATE_LIMIT_TRIALS_PER_HOUR: "1000",
  STAFF_EMAILS: "staff@e2e.ticketzero.test",
  // tests/e2e/webhooks.spec.ts delivers to a receiver on localhost.
  WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
};

export default defineConfig({
  testDir: "tests/e2e",
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 150_000,
  expect: { timeout: 10_000 },
  forbidOnly: Boolean(process.env.CI),
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  outputDir: "test-results/artifacts",
  use: {
    baseURL,
    screenshot: "on",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    },
  },
  projects: [
    {
      name: "chromium",
      testIgnore: STRIPE_SPECS,
      use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 900 } },
    },
    {
      name: "stripe",
      testMatch: STRIPE_SPECS,
      use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 900 }, baseURL: stripeBaseURL },
    },
  ],
  webServer: [
    {
      command: "node --import tsx tests/e2e/web-server.ts", // the launcher; removes the data folder after it
      gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
      url: `${baseURL}/plans`,
      timeout: 180_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        ...appEnv,
        PORT: String(PORT),
        PUBLIC_URL: baseURL,
        DATA_DIR: process.env.TZ_E2E_DATA_DIR,
        STRIPE_SECRET_KEY: "",
        STRIPE_WEBHOOK_SECRET: "",
      },
    },
    ...(stripeRun
      ? [
          {
            command: "node --import tsx tests/e2e/stripe-standin-server.ts",
            gracefulShutdown: { signal: "SIGTERM" as const, timeout: 5_000 },
            url: `${process.env.TZ_E2E_STANDIN_URL}/control/health`,
            timeout: 30_000,
            reuseExistingServer: false,
            stdout: "pipe" as const,
            stderr: "pipe" as const,
            env: {
              STANDIN_PORT: String(STANDIN_PORT),
              WEBHOOK_URL: `${stripeBaseURL}/api/stripe/webhook`,
              STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
            },
          },
          {
            command: "node --import tsx tests/e2e/web-server.ts",
            gracefulShutdown: { signal: "SIGTERM" as const, timeout: 20_000 },
            url: `${stripeBaseURL}/plans`,
            timeout: 180_000,
            reuseExistingServer: false,
            stdout: "pipe" as const,
            stderr: "pipe" as const,
            env: {
              ...appEnv,
              PORT: String(STRIPE_PORT),
              PUBLIC_URL: stripeBaseURL,
              DATA_DIR: process.env.TZ_E2E_STRIPE_DATA_DIR!,
              STRIPE_SECRET_KEY: "sk_test_e2e_standin",
              STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
              STRIPE_API_BASE: process.env.TZ_E2E_STANDIN_URL,
            },
          },
        ]
      : []),
  ],
});
