/**
 * Finds or starts the one process that owns the embedded database folder.
 * The owner writes `<dataDir>/pglite.json` ({pid, port}) and holds
 * `<dataDir>/pglite.lock`; everyone else connects to its port. A lock left by
 * a dead process is taken over.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { packageRoot } from "../package-root";

export type EmbeddedHandle = { url: string; owner: ChildProcess | null; stop(): Promise<void> };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function readInfo(dataDir: string): { pid: number; port: number } | null {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, "pglite.json"), "utf8"));
  } catch {
    return null;
  }
}

const urlFor = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ensureEmbeddedDatabase(dataDir: string): Promise<EmbeddedHandle> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockPath = path.join(dataDir, "pglite.lock");
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const info = readInfo(dataDir);
    if (info && alive(info.pid) && (await canConnect(info.port))) {
      return { url: urlFor(info.port), owner: null, stop: async () => {} };
    }
    let fd: number;
    try {
      fd = openSync(lockPath, "wx", 0o600);
    } catch {
      const holder = Number(readFileSync(lockPath, "utf8") || 0);
      if (holder && !alive(holder)) rmSync(lockPath, { force: true });
      await sleep(200); // another process is starting it
      continue;
    }
    closeSync(fd);
    return startOwner(dataDir, lockPath);
  }
  throw new Error(`embedded database in ${dataDir} did not become ready`);
}

async function startOwner(dataDir: string, lockPath: string): Promise<EmbeddedHandle> {
  const child = spawn(process.execPath, [path.join(packageRoot(), "db/embedded-main.js"), dataDir], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  writeFileSync(lockPath, String(child.pid));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(message.error ?? "embedded database failed")),
    );
    child.once("exit", (code) => reject(new Error(`embedded database exited with ${code}`)));
  });
  return {
    url: urlFor(port),
    owner: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
      }),
  };
}
