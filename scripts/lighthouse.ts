/**
 * `npm run lighthouse`: Lighthouse (mobile emulation, its default) against the
 * production build, started by the real launcher on a fresh embedded database
 * in a temporary folder. Signs a customer in through the dev outbox, gives
 * them a Professional license with one installation, and audits `/`,
 * `/plans`, `/admin/license` (as that customer) and `/staff` (as a staff
 * user). Prints the four category scores per page; removes its server,
 * browser and folder when done.
 *
 * Prerequisite: `npm run build`. Browser: CHROME_PATH (default /usr/bin/chromium).
 * Options: `--runs N` audits each page N times and prints the median (default 1);
 * `--reports DIR` keeps each run's full JSON report there; `--only /,/plans` audits just those pages.
 */
import "./support/require-supported-node";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { Client } from "../tests/blackbox/support/client";
import { submitForm } from "../tests/blackbox/support/forms";
import { signIn } from "../tests/blackbox/support/session";
import { type AppServer, assertNextBuild, freePort, startAppServer } from "../tests/support/app-server";

const root = path.resolve(import.meta.dirname, "..");
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"] as const;
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Math.max(1, Number(process.argv[runsArg + 1]) || 1) : 1;
const reportsArg = process.argv.indexOf("--reports");
const REPORTS = reportsArg > 0 ? path.resolve(process.argv[reportsArg + 1] ?? "lighthouse-reports") : null;
const onlyArg = process.argv.indexOf("--only");
const ONLY = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? "").split(",")) : null;
const CUSTOMER = "lighthouse-owner@lighthouse.ticketzero.test";
const STAFF = "lighthouse-staff@lighthouse.ticketzero.test";

/** The license CLI, as an operator runs it, on the server's data folder (it finds the running embedded database). */
function licenseCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/license-cli.ts"), ...args], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`license CLI exited ${code}: ${out}`))));
  });
}

async function giveLicense(server: AppServer, env: NodeJS.ProcessEnv, customer: Client): Promise<void> {
  const issued = await licenseCli(env, "issue", "--plan", "professional", "--email", CUSTOMER);
  const key = /TZ-PRO-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(issued)?.[0];
  if (!key) throw new Error(`the license CLI printed no key: ${issued}`);
  // Attach it to the account where the portal does not already show it (older builds need the key pasted).
  const page = await customer.send("/admin/license", { headers: { Cookie: customer.cookieHeader() ?? "" } });
  if (page.text.includes("No active license")) {
    await submitForm(customer, "/admin/license", { licenseKey: key, instanceName: "Admin Panel" });
  }
  // One installation, activated the way TicketZero AI activates itself.
  const activated = await new Client(server).json("/admin/activate-license", {
    licenseKey: key,
    instanceId: "lighthouse-server-1",
    instanceName: "Helpdesk server",
  });
  if (activated.status >= 300) throw new Error(`activation answered ${activated.status}: ${activated.text}`);
}

type Scores = Record<(typeof CATEGORIES)[number], number>;
const METRICS = [
  ["FCP", "first-contentful-paint"],
  ["LCP", "largest-contentful-paint"],
  ["TBT", "total-blocking-time"],
  ["CLS", "cumulative-layout-shift"],
  ["SI", "speed-index"],
] as const;

async function audit(url: string, port: number, cookie: string | undefined): Promise<Scores> {
  const result = await lighthouse(url, {
    port,
    output: "json",
    logLevel: "error",
    onlyCategories: [...CATEGORIES],
    extraHeaders: cookie ? { Cookie: cookie } : undefined,
  });
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  const { lhr } = result;
  if (lhr.runtimeError) throw new Error(`Lighthouse failed on ${url}: ${lhr.runtimeError.message}`);
  if (REPORTS) {
    mkdirSync(REPORTS, { recursive: true });
    const name = new URL(url).pathname.replace(/\W+/g, "-").replace(/^-|-$/g, "") || "home";
    writeFileSync(path.join(REPORTS, `${name}-${Date.now()}.json`), JSON.stringify(lhr));
  }
  // The metrics behind the performance score, so a low figure says where the time went.
  console.info(
    `[lighthouse]   ${new URL(url).pathname}: ${METRICS.map(([name, id]) => `${name} ${lhr.audits[id]?.displayValue ?? "?"}`).join(", ")}`,
  );
  return Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)])) as Scores;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

const CHROME_PATH = process.env.CHROME_PATH || "/usr/bin/chromium";

async function main(): Promise<void> {
  assertNextBuild();
  if (!existsSync(CHROME_PATH))
    throw new Error(`No browser at ${CHROME_PATH}: apt-get install -y chromium, or set CHROME_PATH.`);
  const dataDir = mkdtempSync(path.join(tmpdir(), "tz-lighthouse-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    APP_ENV: "development",
    DATABASE_URL: "",
    SMTP_URL: "",
    STRIPE_SECRET_KEY: "",
    STRIPE_WEBHOOK_SECRET: "",
    PUBLIC_URL: `http://localhost:${port}`,
    AUTH_SECRET: "lighthouse-secret-not-for-production-0123456789",
    STAFF_EMAILS: STAFF,
    JOBS: "off",
  };
  let server: AppServer | null = null;
  let chrome: chromeLauncher.LaunchedChrome | null = null;
  const cleanUp = async () => {
    await chrome?.kill();
    chrome = null;
    await server?.stop();
    server = null;
    rmSync(dataDir, { recursive: true, force: true });
  };
  // The server's supervisor owns the embedded database: stop it gracefully whatever ends this run.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  process.once("uncaughtException", (error) => {
    console.error(error);
    void cleanUp().finally(() => process.exit(1));
  });
  try {
    console.info("[lighthouse] starting the production build…");
    server = await startAppServer({ apiOnly: false, port, env: env as Record<string, string> });
    const customer = new Client(server);
    await signIn(customer, CUSTOMER, "/admin/license");
    await giveLicense(server, env, customer);
    const staff = new Client(server);
    await signIn(staff, STAFF, "/staff");

    chrome = await chromeLauncher.launch({
      chromePath: CHROME_PATH,
      chromeFlags: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    const pages: { path: string; cookie?: string }[] = [
      { path: "/" },
      { path: "/plans" },
      { path: "/admin/license", cookie: customer.cookieHeader() },
      { path: "/staff", cookie: staff.cookieHeader() },
    ];
    const rows: { page: string; scores: Scores; runs: Scores[] }[] = [];
    for (const page of pages.filter((p) => !ONLY || ONLY.has(p.path))) {
      const runs: Scores[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await audit(`${server.url}${page.path}`, chrome.port, page.cookie));
      const scores = Object.fromEntries(CATEGORIES.map((c) => [c, median(runs.map((r) => r[c]))])) as Scores;
      rows.push({ page: page.path, scores, runs });
      console.info(
        `[lighthouse] ${page.path}: ${CATEGORIES.map((c) => `${c} ${scores[c]}`).join(", ")}${RUNS > 1 ? ` (performance per run: ${runs.map((r) => r.performance).join(", ")})` : ""}`,
      );
    }

    const header = ["page", ...CATEGORIES];
    const table = rows.map((r) => [r.page, ...CATEGORIES.map((c) => String(r.scores[c]))]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
    console.info(`\nLighthouse ${RUNS > 1 ? `(median of ${RUNS} runs) ` : ""}— mobile emulation, production build`);
    console.info(line(header));
    console.info(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const row of table) console.info(line(row));
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
