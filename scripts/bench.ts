/**
 * `npm run bench`: the hot path under load, on both backends.
 *
 * Builds the app if there is no production build (`.next/BUILD_ID`), then for
 * the embedded database (a fresh temporary DATA_DIR) and for PostgreSQL
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) starts
 * the production server, starts a trial and activates an installation over
 * HTTP, and drives with autocannon (50 connections, BENCH_SECONDS each after a
 * 2 s warm-up):
 *   - GET /api/license-status with Authorization + X-Instance-Id (the fast path),
 *   - the same endpoint with only `Cookie: x=1`, which the fast path hands to
 *     Next.js (it answers 401 there quickly): the framework's per-request cost,
 *   - GET /api/public-key on the fast path (no database).
 * Prints req/s, p50, p99 and non-2xx per run, and the fast path / Next.js
 * ratios. Talks to localhost only; every step is bounded in time.
 */
import "./support/require-supported-node";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { freePort } from "@ticketzero/core/server/free-port";
import { postJson } from "./support/processes";

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
  timeout?: number;
};
type Autocannon = (options: AutocannonOptions) => Promise<Result>;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const root = path.resolve(import.meta.dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 50;
const PG_URL = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const children = new Set<ChildProcess>();

// Never run away: the whole benchmark is bounded.
const overall = setTimeout(
  () => {
    console.error("bench: took too long, stopping");
    for (const child of children) child.kill("SIGKILL");
    process.exit(1);
  },
  (20 * 60 + 12 * SECONDS) * 1000,
);
overall.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill("SIGKILL");
    process.exit(130);
  });
}

function ensureBuild() {
  if (existsSync(path.join(root, ".next/BUILD_ID"))) {
    console.log("Using the existing production build (.next/BUILD_ID).");
    return;
  }
  console.log("No production build: running `npx next build` …");
  execFileSync("npx", ["next", "build"], { cwd: root, stdio: "inherit", timeout: 15 * 60_000 });
}

type Server = { url: string; stop(): Promise<void> };

async function startServer(backend: "embedded" | "postgres", dataDir: string): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
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
    DATABASE_URL: backend === "postgres" ? PG_URL : "",
  };
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/start.ts")], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 180 s:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`on http://localhost:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          children.delete(child);
          return resolve();
        }
        const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(kill);
          children.delete(child);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** A license and an activated installation, over HTTP like any installation. */
async function prepare(server: Server): Promise<{ key: string; instanceId: string }> {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const trial = await postJson(`${server.url}/admin/generate-trial`, { email });
  if (trial.status !== 201) throw new Error(`trial: ${trial.status} ${JSON.stringify(trial.json)}`);
  const key = trial.json.licenseKey as string;
  const instanceId = "bench-instance-1";
  const activated = await postJson(`${server.url}/admin/activate-license`, { licenseKey: key, instanceId });
  if (activated.status !== 201) throw new Error(`activation: ${activated.status} ${JSON.stringify(activated.json)}`);
  return { key, instanceId };
}

type Scenario = { label: string; path: string; headers: Record<string, string>; expect: number };
type Row = { backend: string; scenario: string; rps: number; p50: number; p99: number; non2xx: number; errors: number };

async function measure(server: Server, backend: string, scenario: Scenario): Promise<Row> {
  const url = `${server.url}${scenario.path}`;
  const check = await fetch(url, { headers: scenario.headers, signal: AbortSignal.timeout(30_000) });
  await check.arrayBuffer();
  if (check.status !== scenario.expect) {
    throw new Error(`${scenario.label}: expected ${scenario.expect}, got ${check.status}`);
  }
  const options = { url, connections: CONNECTIONS, headers: scenario.headers, timeout: 10 };
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  const result = await autocannon({ ...options, duration: SECONDS });
  const row: Row = {
    backend,
    scenario: scenario.label,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  console.log(
    `  ${scenario.label}: ${Math.round(row.rps)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}, errors ${row.errors}`,
  );
  return row;
}

async function benchBackend(backend: "embedded" | "postgres"): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `tz-bench-${backend}-`));
  const label = backend === "embedded" ? "embedded (PostgreSQL 18)" : "PostgreSQL";
  console.log(`\n${label}: starting the production server …`);
  const server = await startServer(backend, dataDir);
  try {
    const { key, instanceId } = await prepare(server);
    const scenarios: Scenario[] = [
      {
        label: "GET /api/license-status (fast path)",
        path: "/api/license-status",
        headers: { Authorization: `Bearer ${key}`, "X-Instance-Id": instanceId },
        expect: 200,
      },
      {
        label: "same endpoint through Next.js (401 path)",
        path: "/api/license-status",
        headers: { Cookie: "x=1" },
        expect: 401,
      },
      { label: "GET /api/public-key (fast path, no DB)", path: "/api/public-key", headers: {}, expect: 200 },
    ];
    const rows: Row[] = [];
    for (const scenario of scenarios) rows.push(await measure(server, label, scenario));
    return rows;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printTable(rows: Row[]) {
  const headers = ["backend", "request", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors"];
  const cells = rows.map((r) => [
    r.backend,
    r.scenario,
    Math.round(r.rps).toLocaleString("en-US"),
    String(r.p50),
    String(r.p99),
    r.non2xx.toLocaleString("en-US"),
    String(r.errors),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (c: string[]) =>
    `| ${c.map((v, i) => (numeric.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(" | ")} |`;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");
  console.log(
    `\nResults (${CONNECTIONS} connections, ${SECONDS} s each after a ${WARMUP_SECONDS} s warm-up; ` +
      `${os.cpus().length} CPUs, load average ${load}; client and server share the machine):\n`,
  );
  console.log(line(headers));
  console.log(`|${widths.map((w, i) => (numeric.has(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`);
  for (const c of cells) console.log(line(c));
  console.log("\n(The Next.js path answers 401 by design, so its non-2xx count is every request.)");
  for (const backend of new Set(rows.map((r) => r.backend))) {
    const of = (prefix: string) => rows.find((r) => r.backend === backend && r.scenario.startsWith(prefix));
    const fast = of("GET /api/license-status");
    const viaNext = of("same endpoint");
    const jwks = of("GET /api/public-key");
    if (!fast || !viaNext) continue;
    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : "n/a");
    console.log(
      `${backend}: fast path (with its DB query) vs Next.js path: ${ratio(fast.rps, viaNext.rps)} the req/s, ` +
        `p50 ${fast.p50} vs ${viaNext.p50} ms` +
        (jwks ? `; public key (no DB) vs Next.js path: ${ratio(jwks.rps, viaNext.rps)} the req/s` : ""),
    );
  }
}

async function main() {
  ensureBuild();
  const rows: Row[] = [];
  for (const backend of ["embedded", "postgres"] as const) {
    try {
      rows.push(...(await benchBackend(backend)));
    } catch (error) {
      console.error(`${backend}: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
  if (rows.length) printTable(rows);
}

await main();
process.exit(process.exitCode ?? 0);
