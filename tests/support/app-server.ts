/**
 * Starts the real server as a separate process on a free local port, on the
 * test run's database. `apiOnly` serves the installation API without a
 * Next.js build (the same handlers `npm start` serves on its fast path);
 * `apiOnly: false` loads the production build in `.next/` and refuses to
 * start without one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";

export type AppServer = { url: string; port: number; process: ChildProcess; stop(): Promise<void>; output(): string };

import { freePort } from "@ticketzero/core/server/free-port";

export { freePort };

type StartOptions = { apiOnly?: boolean; env?: Record<string, string>; port?: number };

class KilledDuringStartup extends Error {}

const root = path.resolve(import.meta.dirname, "../..");

/** Servers still running when this process exits (a crashed or timed-out test file) are killed with it. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** The production build Next.js would load, or a clear refusal: without it the launcher cannot serve pages. */
export function assertNextBuild(): void {
  const buildId = path.join(root, ".next/BUILD_ID");
  if (!existsSync(buildId) || !statSync(buildId).isFile()) {
    throw new Error(
      `No Next.js production build: ${buildId} is missing. Run \`npm run build\` first (this server loads .next/, not --api-only).`,
    );
  }
}

export async function startAppServer(options: StartOptions = {}): Promise<AppServer> {
  try {
    return await startOnce(options);
  } catch (error) {
    // A process killed by a signal before it listened (a loaded machine) gets one more try;
    // a server that exits with an error code fails the test straight away.
    if (!(error instanceof KilledDuringStartup)) throw error;
    return startOnce(options);
  }
}

async function startOnce(options: StartOptions): Promise<AppServer> {
  if (options.apiOnly === false) assertNextBuild();
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts/start.ts"), ...(options.apiOnly === false ? [] : ["--api-only"])],
    {
      cwd: root,
      env: { ...process.env, PORT: String(port), NODE_ENV: "production", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`on http://localhost:${port}`)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code, signal) =>
      reject(
        code === null
          ? new KilledDuringStartup(`server killed by ${signal} while starting:\n${output}`)
          : new Error(`server exited with ${code}:\n${output}`),
      ),
    );
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  await ready.finally(() => clearTimeout(timer));
  return {
    url: `http://localhost:${port}`,
    port,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        // A server that does not stop on SIGTERM within 10 s is killed: no test leaves a process behind.
        const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(force);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
