/**
 * Simulates installations of TicketZero AI talking to a license server through packages/client.
 *
 *   npm run simulate -- --installations 20 --duration 60 [--interval 3] [--server URL]
 *                       [--key KEY ...] [--issue] [--max-tickets 5] [--keep] [--json]
 *
 * Keys: --key (repeatable) or TZ_SIM_KEYS (comma separated), shared round-robin between
 * installations; with none (or --issue) every installation requests its own trial key
 * (POST /admin/generate-trial, sim-<random>@example.test). Each installation has its own temp
 * data dir and instance id, activates, checks its status every --interval seconds (with jitter)
 * and reports small ticket counts. Ends with totals, req/s, errors by code and latency
 * percentiles per endpoint. Exit 0 when it ran; 1 when the server could not be reached at all.
 */
import "./support/require-supported-node";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type AttemptEvent, createLicenseClient, type LicenseClient, LicenseError } from "../packages/client/src/index";

type EndpointStats = { count: number; failures: number; latencies: number[] };

const HELP = `Usage: npm run simulate -- [options]
  --installations N   simulated installations (default 10)
  --duration S        run time in seconds (default 30, max 3600)
  --interval S        seconds between status checks per installation (default 3, jittered ±50%)
  --server URL        license server (env TZ_SERVER_URL, default http://localhost:3000); local only
  --key KEY           license key to use (repeatable; or env TZ_SIM_KEYS=K1,K2)
  --issue             request a trial key per installation even when keys are given
  --max-tickets N     tickets per report are 1..N (default 5)
  --keep              do not deactivate the simulated installations at the end
  --allow-remote      allow a non-localhost server
  --json              print the summary as JSON`;

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  process.exit(1);
}

function positiveNumber(value: string | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) fail(`--${name} must be a number in (0, ${max}]`);
  return n;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      installations: { type: "string" },
      duration: { type: "string" },
      interval: { type: "string" },
      server: { type: "string" },
      key: { type: "string", multiple: true },
      issue: { type: "boolean" },
      "max-tickets": { type: "string" },
      keep: { type: "boolean" },
      "allow-remote": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const installations = Math.floor(positiveNumber(values.installations, 10, "installations", 1000));
  const durationMs = positiveNumber(values.duration, 30, "duration", 3600) * 1000;
  const intervalMs = positiveNumber(values.interval, 3, "interval", 600) * 1000;
  const maxTickets = Math.floor(positiveNumber(values["max-tickets"], 5, "max-tickets", 10_000));
  const server = (values.server ?? process.env.TZ_SERVER_URL ?? "http://localhost:3000").replace(/\/+$/, "");
  let serverUrl: URL;
  try {
    serverUrl = new URL(server);
  } catch {
    fail(`Not a URL: ${server}`);
  }
  const local = ["localhost", "127.0.0.1", "[::1]", "::1"].includes(serverUrl.hostname);
  if (!local && !values["allow-remote"])
    fail(`Refusing to load-test ${serverUrl.host}: not localhost (--allow-remote)`);

  const keys = [
    ...(values.key ?? []),
    ...(process.env.TZ_SIM_KEYS ?? "")
      .split(",")
      .map((k) => k.trim())
      .filter(Boolean),
  ];
  const issueTrials = values.issue === true || keys.length === 0;

  // ------------------------------------------------------------ stats
  const started = performance.now();
  const deadline = started + durationMs;
  const endpoints = new Map<string, EndpointStats>();
  const errorsByCode = new Map<string, number>();
  const validations = new Map<string, number>();
  let responses = 0;
  let requests = 0;
  let ticketsRecorded = 0;
  const latestValid = new Map<number, boolean>();

  const record = (e: AttemptEvent) => {
    requests++;
    const name = `${e.method} ${e.path}`;
    const s = endpoints.get(name) ?? { count: 0, failures: 0, latencies: [] };
    s.count++;
    s.latencies.push(e.durationMs);
    if (e.status !== null) responses++;
    if (e.status === null || e.status >= 400) {
      s.failures++;
      bump(errorsByCode, e.code ?? `HTTP_${e.status}`);
    }
    endpoints.set(name, s);
  };

  // ------------------------------------------------------------ pre-flight
  const pre = performance.now();
  // The simulator's explicit trust anchor: the key set of the (local) server it load-tests.
  let serverJwks: { keys: Array<Record<string, unknown>> } | undefined;
  try {
    const res = await fetch(`${server}/api/public-key`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { keys?: unknown };
      if (res.ok && Array.isArray(body.keys)) serverJwks = body as { keys: Array<Record<string, unknown>> };
    } catch {
      // reported below as a client setup failure
    }
    record({
      method: "GET",
      path: "/api/public-key",
      attempt: 0,
      status: res.status,
      code: res.ok ? null : `HTTP_${res.status}`,
      durationMs: performance.now() - pre,
    });
  } catch (err) {
    console.error(`License server ${server} is unreachable: ${(err as Error).message}`);
    return 1;
  }

  async function issueTrial(): Promise<string | null> {
    const email = `sim-${randomBytes(6).toString("hex")}@example.test`;
    for (let attempt = 0; attempt < 4 && performance.now() < deadline; attempt++) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${server}/admin/generate-trial`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ email }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await res.json().catch(() => null)) as {
          licenseKey?: string;
          error?: { code?: string };
        } | null;
        record({
          method: "POST",
          path: "/admin/generate-trial",
          attempt,
          status: res.status,
          code: res.ok ? null : (body?.error?.code ?? `HTTP_${res.status}`),
          durationMs: performance.now() - t0,
        });
        if (res.ok && body?.licenseKey) return body.licenseKey;
        if (res.status !== 429 && res.status !== 503) return null;
        const retryAfter = Number(res.headers.get("retry-after") ?? "1");
        await sleep(
          Math.min(Number.isFinite(retryAfter) ? retryAfter * 1000 : 1000, 10_000, deadline - performance.now()),
        );
      } catch (err) {
        record({
          method: "POST",
          path: "/admin/generate-trial",
          attempt,
          status: null,
          code: "SERVER_UNREACHABLE",
          durationMs: performance.now() - t0,
          error: (err as Error).message,
        });
        return null;
      }
    }
    return null;
  }

  // ------------------------------------------------------------ progress
  const tty = process.stdout.isTTY === true;
  const runId = randomBytes(3).toString("hex");
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), "tz-sim-"));
  let lastLine = 0;
  const progress = (final = false) => {
    const elapsed = (performance.now() - started) / 1000;
    const errors = [...errorsByCode.values()].reduce((a, b) => a + b, 0);
    const valid = [...latestValid.values()].filter(Boolean).length;
    const line =
      `[${elapsed.toFixed(1).padStart(5)}s/${durationMs / 1000}s] installations ${latestValid.size}/${installations}` +
      ` valid ${valid} | requests ${requests} (${(requests / Math.max(elapsed, 0.001)).toFixed(1)}/s)` +
      ` | errors ${errors} | tickets ${ticketsRecorded}`;
    if (tty) process.stdout.write(`\r${line.padEnd(110)}${final ? "\n" : ""}`);
    else if (final || performance.now() - lastLine >= 5000) {
      console.log(line);
      lastLine = performance.now();
    }
  };
  const ticker = setInterval(() => progress(), tty ? 250 : 1000);

  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const running = () => !stopping && performance.now() < deadline;

  // ------------------------------------------------------------ installations
  async function installation(index: number): Promise<void> {
    // Stagger start-up over the first interval.
    await sleep(Math.random() * Math.min(intervalMs, durationMs / 4));
    if (!running()) return;
    const key = issueTrials ? await issueTrial() : keys[index % keys.length];
    if (!key) {
      bump(validations, "NO_KEY");
      return;
    }
    const dataDir = fs.mkdtempSync(path.join(tempRoot, `i${index}-`));
    let client: LicenseClient;
    try {
      client = createLicenseClient({
        serverUrl: server,
        ...(serverJwks ? { jwks: serverJwks } : {}),
        licenseKey: key,
        dataDir,
        instanceId: `sim-${runId}-${index}`,
        instanceName: `Simulated installation ${index}`,
        timeoutMs: 5_000,
        maxRetries: 2,
        maxRetryAfterMs: 5_000,
        cacheTtlMs: 0,
        onRequest: record,
        sleep: (ms) => sleep(Math.min(ms, Math.max(0, deadline - performance.now()))),
      });
    } catch (err) {
      bump(validations, "CLIENT_SETUP_FAILED");
      console.error(`\ninstallation ${index}: ${(err as Error).message}`);
      return;
    }
    while (running()) {
      const result = await client.validateLicense();
      bump(validations, result.code);
      latestValid.set(index, result.valid);
      if (result.valid && running()) {
        const tickets = 1 + Math.floor(Math.random() * maxTickets);
        const clients = 1 + Math.floor(Math.random() * 2);
        try {
          await client.recordTickets(tickets, clients);
          ticketsRecorded += tickets;
        } catch (err) {
          // Counted by the request hook when the server answered; count client-side refusals too.
          if (err instanceof LicenseError && err.status === undefined && err.code !== "SERVER_UNREACHABLE") {
            bump(errorsByCode, err.code);
          }
        }
      }
      const wait = intervalMs * (0.5 + Math.random());
      await sleep(Math.min(wait, deadline - performance.now()));
    }
    if (!values.keep) {
      try {
        await client.deactivate();
      } catch {
        // counted by the hook
      }
    }
  }

  await Promise.all(Array.from({ length: installations }, (_, i) => installation(i)));
  clearInterval(ticker);
  progress(true);
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  fs.rmSync(tempRoot, { recursive: true, force: true });

  // ------------------------------------------------------------ summary
  const elapsedS = (performance.now() - started) / 1000;
  const perEndpoint = [...endpoints.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => {
      const sorted = [...s.latencies].sort((a, b) => a - b);
      return {
        endpoint: name,
        requests: s.count,
        failures: s.failures,
        p50: Math.round(percentile(sorted, 50) * 10) / 10,
        p90: Math.round(percentile(sorted, 90) * 10) / 10,
        p99: Math.round(percentile(sorted, 99) * 10) / 10,
      };
    });
  const summary = {
    server,
    installations,
    durationSeconds: Math.round(elapsedS * 10) / 10,
    totalRequests: requests,
    requestsPerSecond: Math.round((requests / elapsedS) * 10) / 10,
    ticketsRecorded,
    errorsByCode: Object.fromEntries([...errorsByCode.entries()].sort((a, b) => b[1] - a[1])),
    validationsByCode: Object.fromEntries([...validations.entries()].sort((a, b) => b[1] - a[1])),
    endpoints: perEndpoint,
  };

  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
  } else {
    console.log("\nSimulation summary");
    console.log(`  server          ${server}`);
    console.log(`  installations   ${installations} over ${summary.durationSeconds}s`);
    console.log(`  requests        ${requests} (${summary.requestsPerSecond} req/s)`);
    console.log(`  tickets         ${ticketsRecorded} recorded`);
    console.log("  validations by code:");
    for (const [code, n] of Object.entries(summary.validationsByCode)) console.log(`    ${code.padEnd(28)} ${n}`);
    console.log("  errors by code:");
    if (errorsByCode.size === 0) console.log("    (none)");
    for (const [code, n] of Object.entries(summary.errorsByCode)) console.log(`    ${code.padEnd(28)} ${n}`);
    console.log("  latency per endpoint (ms):");
    console.log(
      `    ${"endpoint".padEnd(32)} ${"reqs".padStart(6)} ${"fail".padStart(6)} ${"p50".padStart(8)} ${"p90".padStart(8)} ${"p99".padStart(8)}`,
    );
    for (const e of perEndpoint) {
      console.log(
        `    ${e.endpoint.padEnd(32)} ${String(e.requests).padStart(6)} ${String(e.failures).padStart(6)} ${e.p50.toFixed(1).padStart(8)} ${e.p90.toFixed(1).padStart(8)} ${e.p99.toFixed(1).padStart(8)}`,
      );
    }
  }
  // Ran, but never got a single HTTP answer after the pre-flight: the server went away.
  return responses <= 1 && requests > 1 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`simulate: ${(err as Error)?.stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
