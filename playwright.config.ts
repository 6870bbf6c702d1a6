/**
 * End-to-end tests against the production build, started the way operators
 * start it (scripts/start.ts), on an embedded database in a fresh folder.
 *
 * Prerequisite: a production build (`npm run build`: the core, then Next.js); this file refuses to
 * run without `.next/BUILD_ID` rather than time out waiting for the server.
 * Run: `npm run build && npm run test:e2e`.
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
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 900 } } }],
  webServer: {
    command: "node --import tsx tests/e2e/web-server.ts", // the launcher; removes the data folder after it
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    url: `${baseURL}/plans`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(PORT),
      PUBLIC_URL: baseURL,
      DATA_DIR: process.env.TZ_E2E_DATA_DIR,
      NODE_ENV: "production",
      APP_ENV: "development",
      DATABASE_URL: "",
      SMTP_URL: "",
      STRIPE_SECRET_KEY: "",
      STRIPE_WEBHOOK_SECRET: "",
      AUTH_SECRET: "e2e-secret-not-for-production-0123456789abcdef",
      RATE_LIMIT_TRIALS_PER_HOUR: "1000",
      STAFF_EMAILS: "staff@e2e.ticketzero.test",
    },
  },
});
