/**
 * Entry of the process that owns the embedded database (started by
 * `ensureEmbeddedDatabase`). It migrates, announces its port, and exits
 * cleanly when its parent goes away.
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startEmbeddedServer } from "./embedded-server";
import { runMigrations } from "./migrate";

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error("usage: started by ensureEmbeddedDatabase()");
  process.exit(2);
}

try {
  const server = await startEmbeddedServer(dataDir);
  await runMigrations(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
  writeFileSync(path.join(dataDir, "pglite.json"), JSON.stringify({ pid: process.pid, port: server.port }), {
    mode: 0o600,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    rmSync(path.join(dataDir, "pglite.json"), { force: true });
    await server.close().catch(() => {});
    rmSync(path.join(dataDir, "pglite.lock"), { force: true });
    process.exit(0);
  };
  process.on("disconnect", stop);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The parent may have gone away while the database was starting: then there is no one to serve.
  if (!process.connected) await stop();
  process.send?.({ port: server.port }, undefined, {}, (error: Error | null) => {
    if (error) void stop();
  });
} catch (error) {
  if (process.connected) process.send?.({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
