/**
 * Starts the real server as a separate process on a free local port, on the
 * test run's database. `apiOnly` serves the installation API without a
 * Next.js build (the same handlers `npm start` serves on its fast path).
 */
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";

export type AppServer = { url: string; port: number; process: ChildProcess; stop(): Promise<void>; output(): string };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type StartOptions = { apiOnly?: boolean; env?: Record<string, string>; port?: number };

class KilledDuringStartup extends Error {}

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
  const port = options.port ?? (await freePort());
  const root = path.resolve(import.meta.dirname, "../..");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts/start.ts"), ...(options.apiOnly === false ? [] : ["--api-only"])],
    {
      cwd: root,
      env: { ...process.env, PORT: String(port), NODE_ENV: "production", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
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
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
