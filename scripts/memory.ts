/**
 * `npm run bench:memory`: what the app costs in memory on the embedded
 * database, as the PSS (proportional set size, /proc/<pid>/smaps_rollup: shared
 * pages split between the processes that share them) of the app process plus
 * every process of its PostgreSQL server (postmaster, backends, helpers).
 *
 * Starts the server (`scripts/start.ts`, the production build when there is
 * one, else `--api-only`; `-- --api-only` forces it) on a fresh temporary
 * DATA_DIR, measures after start, starts a trial and activates an installation,
 * sends MEMORY_REQUESTS (default 5000) `GET /api/license-status` calls (10 at a
 * time), and measures again. Exits 1 when the total passes MEMORY_BUDGET_MB
 * (default 400). Linux only (it reads /proc); talks to localhost only.
 */
import "./support/require-supported-node";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { freePort } from "@ticketzero/core/server/free-port";
import { children, launcherMemory, postJson, pssKb, type Server, spawnServer } from "./support/processes";

type Autocannon = (options: {
  url: string;
  connections: number;
  amount: number;
  headers: Record<string, string>;
}) => Promise<{ non2xx: number; errors: number; timeouts: number; requests: { total: number } }>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const root = path.resolve(import.meta.dirname, "..");
const REQUESTS = Number(process.env.MEMORY_REQUESTS || 5000);
const BUDGET_MB = Number(process.env.MEMORY_BUDGET_MB || 400);
const apiOnly = process.argv.includes("--api-only") || !existsSync(path.join(root, ".next/BUILD_ID"));

const title = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 60);
  } catch {
    return "?";
  }
};

function measure(label: string, appPid: number, dataDir: string): number {
  const m = launcherMemory(appPid, dataDir);
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
  const row = (what: string, kb: number) => console.log(`  ${what.padEnd(44)}${mb(kb).padStart(10)}`);
  console.log(`\n${label}:`);
  row(`supervisor and app process (pids ${m.appPids.join(", ")})`, m.appKb);
  row(`postmaster (pid ${m.postmaster})`, m.postmasterKb);
  row(`${m.backends.length} postgres backends and helpers`, m.backendsKb);
  for (const pid of m.backends) console.log(`      ${mb(pssKb(pid)).padStart(9)}  ${title(pid)}`);
  row("total", m.totalKb);
  return m.totalKb / 1024;
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tz-memory-"));
  const port = await freePort();
  let server: Server | null = null;
  const killer = setTimeout(() => {
    for (const child of children) child.kill("SIGKILL");
  }, 10 * 60_000);
  try {
    server = await spawnServer(
      "scripts/start.ts",
      apiOnly ? ["--api-only"] : [],
      {
        NODE_ENV: "production",
        APP_ENV: "development",
        PORT: String(port),
        DATA_DIR: dataDir,
        DATABASE_URL: "",
        REMINDERS_INTERVAL_MINUTES: "0",
        RATE_LIMIT_KEY_PER_MINUTE: "100000000",
      },
      `on http://localhost:${port}`,
    );
    console.log(
      `Server on port ${port} (${apiOnly ? "--api-only" : "production build"}), embedded database in ${dataDir}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const atStart = measure("After start", server.pid, dataDir);

    const base = server.loopbackUrl;
    const trial = await postJson(`${base}/admin/generate-trial`, { email: `memory-${Date.now()}@example.test` });
    if (trial.status !== 201) throw new Error(`trial: ${trial.status} ${JSON.stringify(trial.json)}`);
    const key = trial.json.licenseKey as string;
    const activated = await postJson(`${base}/admin/activate-license`, { licenseKey: key, instanceId: "memory-1" });
    if (activated.status !== 201) throw new Error(`activation: ${activated.status}`);
    const result = await autocannon({
      url: `${base}/api/license-status`,
      connections: 10,
      amount: REQUESTS,
      headers: { Authorization: `Bearer ${key}`, "X-Instance-Id": "memory-1" },
    });
    console.log(
      `\n${result.requests.total} GET /api/license-status calls: non-2xx ${result.non2xx}, errors ${result.errors + result.timeouts}`,
    );
    const after = measure(`After ${REQUESTS} status calls`, server.pid, dataDir);
    const worst = Math.max(atStart, after);
    console.log(`\nBudget ${BUDGET_MB} MB: ${worst <= BUDGET_MB ? "within" : "OVER"} (${worst.toFixed(1)} MB at most)`);
    return worst <= BUDGET_MB && result.non2xx === 0 ? 0 : 1;
  } finally {
    clearTimeout(killer);
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.exit(await main());
