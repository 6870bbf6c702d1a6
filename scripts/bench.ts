/**
 * `npm run bench`: the installations' hot path against a bare-Node reference.
 *
 * Builds the app if there is no production build (`.next/BUILD_ID`), then:
 * 1. PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test):
 *    starts the production server, starts a trial and activates an
 *    installation over HTTP, and starts the reference (scripts/bench-reference.ts:
 *    HMAC, one indexed read, an Ed25519 JWS, JSON; same database, same
 *    secrets). Then BENCH_ROUNDS (3) rounds, each driving the reference and
 *    then the portal with the same autocannon settings (50 connections,
 *    BENCH_SECONDS each after a 2 s warm-up) on `GET /api/license-status`
 *    with the key and X-Instance-Id: one license (the issue's setting), then
 *    BENCH_LICENSES (200) licenses in turn. Prints each run and, per round and
 *    as the median, the portal/reference ratio of req/s and of p99 against the
 *    goal (≥ 1.5× the req/s, p99 no higher).
 * 2. The embedded default (a fresh temporary DATA_DIR): the portal's figures
 *    on the same request, and the memory (PSS) of the app process and of its
 *    PostgreSQL server after the load.
 * Talks to localhost only; every step is bounded in time. Ratios, not
 * absolute figures, are what to compare: the client and the servers share the machine.
 */
import "./support/require-supported-node";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { freePort } from "@ticketzero/core/server/free-port";
import postgres from "postgres";
import { children, launcherMemory, postJson, type Server, spawnServer } from "./support/processes";

type Histogram = { average: number; mean: number; p50: number; p99: number; max: number };
type Result = {
  requests: Histogram;
  latency: Histogram;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
};
type AutocannonOptions = {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  requests?: { method: string; path: string; headers: Record<string, string> }[];
  timeout?: number;
};
type Autocannon = (options: AutocannonOptions) => Promise<Result>;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const root = path.resolve(import.meta.dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 50;
const PG_URL = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

const tempDirs = new Set<string>();
/** A temporary DATA_DIR, removed however the benchmark ends. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Stops every server (SIGTERM: a supervisor stops its embedded PostgreSQL too, SIGKILL after 5 s) and exits. */
function abort(code: number): void {
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => {
    for (const child of children) child.kill("SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  }, 5_000);
}

// Never run away: the whole benchmark is bounded.
const overall = setTimeout(
  () => {
    console.error("bench: took too long, stopping");
    abort(1);
  },
  (20 * 60 + 30 * SECONDS) * 1000,
);
overall.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => abort(130));

function ensureBuild() {
  if (existsSync(path.join(root, ".next/BUILD_ID"))) {
    console.log("Using the existing production build (.next/BUILD_ID).");
    return;
  }
  console.log("No production build: running `npx next build` …");
  execFileSync("npx", ["next", "build"], { cwd: root, stdio: "inherit", timeout: 15 * 60_000 });
}

async function startPortal(databaseUrl: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  return spawnServer(
    "scripts/start.ts",
    [],
    {
      NODE_ENV: "production",
      APP_ENV: "development", // production mode demands Stripe and SMTP; the hot path is the same
      PORT: String(port),
      DATA_DIR: dataDir,
      PUBLIC_URL: `http://localhost:${port}`,
      RATE_LIMIT_KEY_PER_MINUTE: "100000000",
      RATE_LIMIT_TRIALS_PER_HOUR: "100000",
      RATE_LIMIT_ACTIVATIONS_PER_HOUR: "100000",
      RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR: "100000",
      TRUST_PROXY: "",
      DATABASE_URL: databaseUrl,
    },
    `on http://localhost:${port}`,
  );
}

async function startReference(databaseUrl: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  return spawnServer(
    "scripts/bench-reference.ts",
    [],
    { PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: databaseUrl, APP_ENV: "development" },
    `on http://localhost:${port}`,
  );
}

type Installation = { key: string; instanceId: string };

/** `n` licenses with an activated installation each, over HTTP like any installation. */
async function prepare(server: Server, n = 1): Promise<Installation[]> {
  const installations: Installation[] = [];
  for (let i = 0; i < n; i++) {
    const email = `bench-${Date.now()}-${i}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const trial = await postJson(`${server.loopbackUrl}/admin/generate-trial`, { email });
    if (trial.status !== 201) throw new Error(`trial: ${trial.status} ${JSON.stringify(trial.json)}`);
    const key = trial.json.licenseKey as string;
    const instanceId = `bench-instance-${i + 1}`;
    const activated = await postJson(`${server.loopbackUrl}/admin/activate-license`, { licenseKey: key, instanceId });
    if (activated.status !== 201) throw new Error(`activation: ${activated.status} ${JSON.stringify(activated.json)}`);
    installations.push({ key, instanceId });
  }
  return installations;
}

type Row = { label: string; rps: number; p50: number; p99: number; non2xx: number; errors: number };

const statusHeaders = ({ key, instanceId }: Installation) => ({
  Authorization: `Bearer ${key}`,
  "X-Instance-Id": instanceId,
});

/**
 * One measured run: a check that each answer is a 200 with a certificate, a warm-up, then SECONDS
 * of load, each connection going through the installations in turn.
 */
async function measure(server: Server, label: string, installations: Installation[]): Promise<Row> {
  const url = `${server.loopbackUrl}/api/license-status`;
  for (const installation of installations) {
    const check = await fetch(url, { headers: statusHeaders(installation), signal: AbortSignal.timeout(30_000) });
    const body = (await check.json()) as { certificate?: string };
    if (check.status !== 200 || !body.certificate)
      throw new Error(`${label}: expected 200 with a certificate, got ${check.status}`);
  }
  const requests = installations.map((i) => ({
    method: "GET",
    path: "/api/license-status",
    headers: statusHeaders(i),
  }));
  const options = { url, connections: CONNECTIONS, requests, timeout: 10 };
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  const result = await autocannon({ ...options, duration: SECONDS });
  const row: Row = {
    label,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  console.log(
    `  ${label}: ${Math.round(row.rps).toLocaleString("en-US")} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}, errors ${row.errors}`,
  );
  return row;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const MANY = Number(process.env.BENCH_LICENSES || 200);

async function benchPostgres(): Promise<boolean> {
  const dataDir = tempDir("tz-bench-postgres-");
  console.log(`\nPostgreSQL (${new URL(PG_URL).host}): the portal's production server and the bare-Node reference …`);
  let portal: Server | null = null;
  let reference: Server | null = null;
  try {
    portal = await startPortal(PG_URL, dataDir);
    const installations = await prepare(portal, MANY);
    reference = await startReference(PG_URL, dataDir);
    const scenarios = [
      { label: "one license, one installation (the issue's setting)", installations: installations.slice(0, 1) },
      { label: `${MANY} licenses, one installation each, in turn`, installations },
    ];
    const rounds = scenarios.map(() => [] as { reference: Row; portal: Row }[]);
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round} of ${ROUNDS}:`);
      for (const [i, scenario] of scenarios.entries()) {
        const tag = i === 0 ? "1 license" : `${MANY} licenses`;
        const ref = await measure(reference, `reference (bare Node), ${tag}`, scenario.installations);
        const ours = await measure(portal, `portal GET /api/license-status, ${tag}`, scenario.installations);
        rounds[i]!.push({ reference: ref, portal: ours });
      }
    }
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(", ");
    console.log(
      `\nPortal / reference (${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s of warm-up, ` +
        `alternated; ${os.cpus().length} CPUs, load average ${load}; client, servers and PostgreSQL share the machine).`,
    );
    let goalMet = false;
    for (const [i, scenario] of scenarios.entries()) {
      const runs = rounds[i]!;
      const rpsRatios = runs.map((r) => r.portal.rps / r.reference.rps);
      const p99Ratios = runs.map((r) => r.portal.p99 / Math.max(r.reference.p99, 1));
      console.log(`\n${scenario.label}:\n`);
      console.log("| round | reference req/s | portal req/s | req/s ratio | reference p99 | portal p99 | p99 ratio |");
      console.log("|--:|--:|--:|--:|--:|--:|--:|");
      runs.forEach((r, j) => {
        console.log(
          `| ${j + 1} | ${Math.round(r.reference.rps).toLocaleString("en-US")} | ${Math.round(r.portal.rps).toLocaleString("en-US")} | ` +
            `${rpsRatios[j]!.toFixed(2)}× | ${r.reference.p99} ms | ${r.portal.p99} ms | ${p99Ratios[j]!.toFixed(2)}× |`,
        );
      });
      const rps = median(rpsRatios);
      const p99 = median(p99Ratios);
      const met = rps >= 1.5 && p99 <= 1;
      if (i === 0) goalMet = met;
      console.log(
        `\nMedian: ${rps.toFixed(2)}× the reference's req/s (goal ≥ 1.50×), ${p99.toFixed(2)}× its p99 (goal ≤ 1.00×): ${met ? "goal met" : "GOAL NOT MET"}.`,
      );
    }
    console.log(`\nThe goal, on the issue's setting: ${goalMet ? "met" : "NOT MET"}.`);
    const failed = rounds
      .flat()
      .some((r) => r.portal.non2xx + r.portal.errors + r.reference.non2xx + r.reference.errors > 0);
    if (failed) console.log("Some requests failed (non-2xx or errors): see the runs above.");
    return !failed;
  } finally {
    await reference?.stop();
    await portal?.stop();
    await forgetBenchLicenses();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The trials and licenses this run made in the shared PostgreSQL database go again. */
async function forgetBenchLicenses() {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    await sql`delete from trials where email like 'bench-%@example.test'`;
    await sql`delete from licenses where email like 'bench-%@example.test'`;
  } catch (error) {
    console.error(`could not remove the benchmark's licenses: ${error instanceof Error ? error.message : error}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function benchEmbedded(): Promise<boolean> {
  const dataDir = tempDir("tz-bench-embedded-");
  console.log("\nThe embedded default (PostgreSQL 18 in DATA_DIR): the portal's production server …");
  let portal: Server | null = null;
  try {
    portal = await startPortal("", dataDir);
    const row = await measure(portal, "portal GET /api/license-status (embedded), 1 license", await prepare(portal));
    const m = launcherMemory(portal.pid, dataDir);
    const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
    console.log(
      `  memory after the load (PSS): supervisor + app process ${mb(m.appKb)}, PostgreSQL ${mb(m.postmasterKb + m.backendsKb)} ` +
        `(postmaster and ${m.backends.length} processes), total ${mb(m.totalKb)}`,
    );
    return row.non2xx + row.errors === 0;
  } finally {
    await portal?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  ensureBuild();
  for (const run of [benchPostgres, benchEmbedded]) {
    try {
      if (!(await run())) process.exitCode = 1;
    } catch (error) {
      console.error(`${run.name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}

await main();
process.exit(process.exitCode ?? 0);
