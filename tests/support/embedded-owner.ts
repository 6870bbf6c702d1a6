/**
 * A process that brings up the embedded database for a folder, as the app or
 * the CLI would, and holds on to it:
 *
 *   node --import tsx tests/support/embedded-owner.ts <dataDir>
 *
 * Prints one JSON line {url, owner, pid}; stops its handle and exits when its
 * standard input closes (or is killed by the test).
 */
import { ensureEmbeddedDatabase } from "@ticketzero/core/db/embedded";

const dataDir = process.argv[2];
if (!dataDir) {
  console.error("usage: embedded-owner.ts <dataDir>");
  process.exit(2);
}
const handle = await ensureEmbeddedDatabase(dataDir);
process.stdout.write(`${JSON.stringify({ url: handle.url, owner: handle.owner, pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void handle.stop().finally(() => process.exit(0));
});
