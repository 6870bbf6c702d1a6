/**
 * The embedded default database is a real PostgreSQL server: dead clients
 * cost nothing, sessions are separate, advisory locks exclude, and one server
 * per data folder survives its owners' deaths.
 *
 * The first part runs on the run's database (the embedded default unless
 * DATABASE_URL is given); the second starts servers of its own in temporary
 * data folders, and removes every folder and process it made.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { alive, type EmbeddedHandle, ensureEmbeddedDatabase } from "@ticketzero/core/db/embedded";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childrenOf } from "../../scripts/support/processes";
import { suffix } from "../support/http";

const root = path.resolve(import.meta.dirname, "../..");
const children = new Set<ChildProcess>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function spawnTracked(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, script), ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** The first stdout line of `child`, or its stderr when it exits first. */
function firstLine(child: ChildProcess, timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no output in ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf("\n");
      if (end >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, end));
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before answering: ${err}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function waitFor(what: string, condition: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const portOf = (url: string) => Number(new URL(url).port);

/** Live postmasters started on `cluster` (from /proc). */
function postmastersOf(cluster: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const d = argv.indexOf("-D");
      if (path.basename(argv[0] ?? "") === "postgres" && d >= 0 && argv[d + 1] === cluster && alive(Number(entry))) {
        found.push(Number(entry));
      }
    } catch {}
  }
  return found;
}

const killHard = (pid: number) => {
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
};

describe("the run's database is a real PostgreSQL: dead clients, sessions, advisory locks", () => {
  const url = process.env.DATABASE_URL!;
  const table = `tz_embedded_probe_${suffix()}`;
  const pools: postgres.Sql[] = [];
  const connection = () => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    pools.push(sql);
    return sql;
  };
  let admin: postgres.Sql;

  beforeAll(async () => {
    admin = connection();
    await admin.unsafe(`create table ${table} (id int primary key, v int not null default 0)`);
    await admin.unsafe(`insert into ${table} (id) values (1), (2)`);
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await admin?.unsafe(`drop table if exists ${table}`);
    await Promise.all(pools.map((sql) => sql.end({ timeout: 5 })));
  });

  it("is the embedded PostgreSQL 18 server on 127.0.0.1 when DATABASE_URL is not given", async () => {
    const [row] = await admin<{ version: number; listen: string; sockets: string }[]>`
      select current_setting('server_version_num')::int as version,
             current_setting('listen_addresses') as listen,
             current_setting('unix_socket_directories') as sockets`;
    expect(row!.version).toBeGreaterThanOrEqual(150000);
    if (process.env.TZ_TEST_EMBEDDED === "1") {
      expect(row!.version).toBeGreaterThanOrEqual(180000);
      expect(new URL(url).hostname).toBe("127.0.0.1");
      expect(row).toMatchObject({ listen: "127.0.0.1", sockets: "" });
    }
  });

  for (const [mode, id, what] of [
    ["transaction", 1, "in the middle of an open transaction that holds a row lock"],
    ["parse", 2, "right after an extended-query Parse and a Flush, without Sync, in a transaction"],
  ] as const) {
    it(`a client process SIGKILLed ${what}: another connection updates that row within 1 s`, async () => {
      const child = spawnTracked("tests/support/wire-client.ts", [url, table, String(id), mode]);
      expect(await firstLine(child)).toBe("ready");
      const other = connection();
      // The row lock is real: no one else can take it while the client lives.
      await expect(other`select id from ${other(table)} where id = ${id} for update nowait`).rejects.toMatchObject({
        code: "55P03",
      });
      const killedAt = performance.now();
      child.kill("SIGKILL");
      await exited(child);
      const [row] = await other.begin(async (tx) => {
        await tx`set local lock_timeout = '1s'`;
        return tx<{ v: number }[]>`update ${tx(table)} set v = v + 1 where id = ${id} returning v`;
      });
      expect(performance.now() - killedAt).toBeLessThan(1000);
      expect(row!.v).toBe(1);
      // Everyone else too: a new connection gets the row lock at once.
      const fresh = connection();
      const [locked] = await fresh`select id from ${fresh(table)} where id = ${id} for update nowait`;
      expect(locked!.id).toBe(id);
    });
  }

  it("two connections do not see each other's SET", async () => {
    const a = connection();
    const b = connection();
    await a`set application_name = 'tz-probe-a'`;
    await a.unsafe("set tz.probe = 'only-a'");
    const read = (sql: postgres.Sql) =>
      sql<{ app: string; probe: string | null; pid: number }[]>`
        select current_setting('application_name') as app,
               current_setting('tz.probe', true) as probe,
               pg_backend_pid() as pid`;
    const [seenByA] = await read(a);
    const [seenByB] = await read(b);
    expect(seenByA).toMatchObject({ app: "tz-probe-a", probe: "only-a" });
    expect(seenByB!.app).not.toBe("tz-probe-a");
    expect(seenByB!.probe ?? "").toBe("");
    expect(seenByB!.pid).not.toBe(seenByA!.pid);
  });

  it("pg_advisory_lock on one connection makes pg_try_advisory_lock on another return false", async () => {
    const a = connection();
    const b = connection();
    const key = randomInt(1, 2 ** 31 - 1);
    await a`select pg_advisory_lock(${key}::bigint)`;
    const [whileHeld] = await b<{ got: boolean }[]>`select pg_try_advisory_lock(${key}::bigint) as got`;
    expect(whileHeld!.got).toBe(false);
    await a`select pg_advisory_unlock(${key}::bigint)`;
    const [afterRelease] = await b<{ got: boolean }[]>`select pg_try_advisory_lock(${key}::bigint) as got`;
    expect(afterRelease!.got).toBe(true);
    await b`select pg_advisory_unlock(${key}::bigint)`;
  });
});

describe("one embedded server per data folder, through restarts and kills", () => {
  const dirs: string[] = [];
  const handles: EmbeddedHandle[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tz-embedded-test-"));
    dirs.push(dir);
    return { dir, cluster: path.join(dir, "postgres") };
  };
  const ensure = async (dir: string) => {
    const handle = await ensureEmbeddedDatabase(dir);
    handles.push(handle);
    return handle;
  };
  /** Another process, like a second app or the CLI. */
  const otherProcess = async (dir: string) => {
    const child = spawnTracked("tests/support/embedded-owner.ts", [dir]);
    const answer = JSON.parse(await firstLine(child)) as { url: string; owner: boolean; pid: number };
    return {
      ...answer,
      child,
      /** Lets go as the app does on SIGTERM: stop() and exit. */
      stop: async () => {
        child.stdin!.end();
        await exited(child);
      },
    };
  };
  const query = async <T extends Record<string, unknown>>(url: string, text: string) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return (await sql.unsafe(text)) as unknown as T[];
    } finally {
      await sql.end({ timeout: 5 });
    }
  };

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    for (const handle of handles.reverse()) await handle.stop().catch(() => {});
    for (const dir of dirs) {
      for (const pid of postmastersOf(path.join(dir, "postgres"))) {
        for (const child of childrenOf(pid)) killHard(child);
        killHard(pid);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a second ensureEmbeddedDatabase for the same folder, here or in another process, reuses the server", async () => {
    const { dir, cluster } = tempDir();
    const first = await ensure(dir);
    expect(first.owner).toBe(true);
    const [server] = postmastersOf(cluster);
    expect(server).toBeDefined();

    const second = await ensure(dir);
    expect(second.owner).toBe(false);
    expect(second.url).toBe(first.url);
    const other = await otherProcess(dir);
    expect(other.owner).toBe(false);
    expect(other.url).toBe(first.url);
    expect(postmastersOf(cluster)).toEqual([server]);

    // What the others find: pid and port in postgres.json (0600); the cluster is private (0700).
    const info = JSON.parse(readFileSync(path.join(dir, "postgres.json"), "utf8"));
    expect(info).toMatchObject({ pid: server, port: portOf(first.url), owner: process.pid });
    expect(statSync(path.join(dir, "postgres.json")).mode & 0o777).toBe(0o600);
    expect(statSync(cluster).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(cluster, "PG_VERSION")).mode & 0o777).toBe(0o600);
    const [settings] = await query<{ listen: string; sockets: string; buffers: string }>(
      first.url,
      "select current_setting('listen_addresses') as listen, current_setting('unix_socket_directories') as sockets, current_setting('shared_buffers') as buffers",
    );
    expect(settings).toEqual({ listen: "127.0.0.1", sockets: "", buffers: "32MB" });

    // A guest's stop() leaves the server running; the owner's stops it.
    await other.stop();
    await second.stop();
    expect(postmastersOf(cluster)).toEqual([server]);
    expect(await query(first.url, "select 1 as one")).toEqual([{ one: 1 }]);
    await first.stop();
    expect(postmastersOf(cluster)).toEqual([]);
    expect(existsSync(path.join(dir, "postgres.lock"))).toBe(false);
  });

  it("two processes starting at once on a new folder start one server", async () => {
    const { dir, cluster } = tempDir();
    const [a, b] = await Promise.all([otherProcess(dir), otherProcess(dir)]);
    expect([a.owner, b.owner].sort()).toEqual([false, true]);
    expect(a.url).toBe(b.url);
    expect(postmastersOf(cluster)).toHaveLength(1);
    const [guest, owner] = a.owner ? [b, a] : [a, b];
    await guest.stop();
    await owner.stop();
    expect(postmastersOf(cluster)).toEqual([]);
  });

  it("after its owner and its postgres are SIGKILLed (a stale postmaster.pid), the next start restarts it on the same port, data kept", async () => {
    const { dir, cluster } = tempDir();
    const owner = await otherProcess(dir);
    expect(owner.owner).toBe(true);
    await query(owner.url, "create table kept (v text); insert into kept values ('still here')");
    const [server] = postmastersOf(cluster);
    const everything = [owner.pid, server!, ...childrenOf(server!)];
    for (const pid of everything) killHard(pid);
    await waitFor("every process to die", () => everything.every((pid) => !alive(pid)));
    expect(existsSync(path.join(cluster, "postmaster.pid"))).toBe(true); // stale
    expect(await query(owner.url, "select 1").catch((error: NodeJS.ErrnoException) => error.code)).toBe("ECONNREFUSED"); // nothing answers on the recorded port

    const handle = await ensure(dir);
    expect(handle.owner).toBe(true);
    expect(portOf(handle.url)).toBe(portOf(owner.url));
    expect(await query(handle.url, "select v from kept")).toEqual([{ v: "still here" }]);
    const [restarted] = postmastersOf(cluster);
    expect(restarted).not.toBe(server);
    await handle.stop();
    expect(postmastersOf(cluster)).toEqual([]);
  });

  it("a server left running by an owner that was SIGKILLed is adopted as it is, and its new owner stops it", async () => {
    const { dir, cluster } = tempDir();
    const owner = await otherProcess(dir);
    const [server] = postmastersOf(cluster);
    owner.child.kill("SIGKILL");
    await exited(owner.child);
    expect(alive(server!)).toBe(true);

    const handle = await ensure(dir);
    expect(handle.owner).toBe(true);
    expect(handle.url).toBe(owner.url);
    expect(postmastersOf(cluster)).toEqual([server]);
    await handle.stop();
    await waitFor("the adopted server to stop", () => !alive(server!));
    expect(postmastersOf(cluster)).toEqual([]);
  });

  it("a guest whose owner stops takes over within seconds, on the same port, so its URL keeps working", async () => {
    const { dir, cluster } = tempDir();
    const owner = await otherProcess(dir);
    const guest = await ensure(dir);
    expect(guest.owner).toBe(false);
    const [before] = postmastersOf(cluster);
    await owner.stop(); // the owner stops the server as it exits
    await waitFor("the guest to take over", () => guest.owner, 20_000);
    expect(guest.url).toBe(owner.url);
    expect(await query(guest.url, "select 1 as one")).toEqual([{ one: 1 }]);
    const [after] = postmastersOf(cluster);
    expect(after).not.toBe(before);
    await guest.stop();
    expect(postmastersOf(cluster)).toEqual([]);
  });

  it("an owner whose postmaster is SIGKILLed restarts it on the same port", async () => {
    const { dir, cluster } = tempDir();
    const owner = await ensure(dir);
    const [server] = postmastersOf(cluster);
    const everything = [server!, ...childrenOf(server!)];
    for (const pid of everything) killHard(pid);
    await waitFor("the server to die", () => everything.every((pid) => !alive(pid)));
    const recorded = () => JSON.parse(readFileSync(path.join(dir, "postgres.json"), "utf8")).pid as number;
    await waitFor("the owner to restart it and record it", () => recorded() !== server, 20_000);
    expect(postmastersOf(cluster)).toEqual([recorded()]);
    expect(await query(owner.url, "select 1 as one")).toEqual([{ one: 1 }]);
    expect(owner.owner).toBe(true);
    await owner.stop();
    expect(postmastersOf(cluster)).toEqual([]);
  });

  it("a postmaster.pid naming a live process that is not this cluster's postgres (a reused pid) is cleared", async () => {
    const { dir, cluster } = tempDir();
    await (await ensure(dir)).stop();
    const stranger = spawn("sleep", ["60"], { stdio: "ignore" });
    children.add(stranger);
    const pidFile = path.join(cluster, "postmaster.pid");
    writeFileSync(
      pidFile,
      `${stranger.pid}\n${cluster}\n${Math.floor(Date.now() / 1000)}\n5999\n\n127.0.0.1\n0 0\nready\n`,
    );

    const handle = await ensure(dir);
    expect(handle.owner).toBe(true);
    expect(await query(handle.url, "select 1 as one")).toEqual([{ one: 1 }]);
    expect(alive(stranger.pid!)).toBe(true);
    await handle.stop();
    stranger.kill("SIGKILL");
  });

  it("a lost postgres.json (and the password in it): the next owner sets a new password, data kept", async () => {
    const { dir } = tempDir();
    const before = await ensure(dir);
    await query(before.url, "create table kept (v text); insert into kept values ('kept')");
    await before.stop();
    rmSync(path.join(dir, "postgres.json"));

    const after = await ensure(dir);
    expect(after.owner).toBe(true);
    expect(after.url).not.toBe(before.url);
    expect(await query(after.url, "select v from kept")).toEqual([{ v: "kept" }]);
    const oldPassword = new URL(after.url);
    oldPassword.password = new URL(before.url).password;
    await expect(query(oldPassword.href, "select 1")).rejects.toMatchObject({ code: "28P01" });
    await after.stop();
  });
});
