/**
 * Playwright's web server: the real launcher on the run's fresh data folder,
 * and that folder removed once the launcher has stopped. Playwright sends
 * SIGTERM to the whole process group (gracefulShutdown in playwright.config.ts):
 * the launcher shuts down, this process waits for it, then cleans up.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";

const dataDir = process.env.DATA_DIR;
const root = path.resolve(import.meta.dirname, "../..");
const launcher = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/start.ts")], {
  cwd: root,
  stdio: "inherit",
});
process.on("SIGTERM", () => {}); // the launcher got it too; wait for it below
process.on("SIGINT", () => {});
launcher.once("exit", (code, signal) => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
