/**
 * What the benchmarks and figure scripts share: starting a server script and stopping it, Linux
 * /proc readings (also used by the embedded-database tests), a JSON POST.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

export type Server = {
  /** http://localhost:PORT: what next-auth's links and cookies are for. */
  url: string;
  /** http://127.0.0.1:PORT: for load generators (no name lookup, IPv4 like the reference). */
  loopbackUrl: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
};

/** Children started here and still running: a script's signal handler stops them. */
export const children = new Set<ChildProcess>();

/**
 * Spawns `script` (relative to the project, run with tsx) with `env` on top of this process's,
 * and waits for `ready` in its output (180 s at most; a server that does not start is killed).
 * `stop()` sends SIGTERM (a supervisor stops its embedded PostgreSQL too), SIGKILL after 10 s.
 */
export async function spawnServer(
  script: string,
  args: string[],
  env: Record<string, string>,
  ready: string,
): Promise<Server> {
  const port = Number(env.PORT);
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not start in 180 s:\n${output}`));
    }, 180_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`${script} exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://localhost:${port}`,
    loopbackUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => output,
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

/** The processes whose parent is `pid` (e.g. a postmaster's backends and helpers). */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) found.push(Number(entry));
    } catch {}
  }
  return found;
}

/** PSS in kB, 0 for a process that is gone. */
export function pssKb(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** POST a JSON body, read a JSON answer (30 s timeout). */
export async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/**
 * The launcher's memory on the embedded database, as PSS in kB: its supervisor and app process,
 * the postmaster (its pid in DATA_DIR/postgres.json) and the postmaster's backends and helpers.
 */
export function launcherMemory(supervisorPid: number, dataDir: string) {
  const postmaster = (JSON.parse(readFileSync(`${dataDir}/postgres.json`, "utf8")) as { pid: number }).pid;
  const backends = childrenOf(postmaster);
  // The launcher is a supervisor plus its app process (node:cluster); the postmaster is its child too.
  const appPids = [supervisorPid, ...childrenOf(supervisorPid).filter((pid) => pid !== postmaster)];
  const appKb = appPids.map(pssKb).reduce((a, b) => a + b, 0);
  const postmasterKb = pssKb(postmaster);
  const backendsKb = backends.map(pssKb).reduce((a, b) => a + b, 0);
  return { appPids, appKb, postmaster, postmasterKb, backends, backendsKb, totalKb: appKb + postmasterKb + backendsKb };
}
