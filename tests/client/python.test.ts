/**
 * The Python client (clients/python) against the real server: runs its pytest suite on this run's
 * database (DATABASE_URL and DATA_DIR from tests/setup/global.ts), so `npm test` and CI cover it
 * on both databases. Missing python3, pytest or cryptography is a failure, never a skip.
 */
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

it("the Python client's pytest suite passes against the real server", { timeout: 900_000 }, async () => {
  const probe = spawnSync("python3", ["-c", "import pytest, cryptography"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `python3 with pytest and cryptography is required for the Python client tests: ${probe.error?.message ?? probe.stderr}`,
    );
  }
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn("python3", ["-m", "pytest", "clients/python/tests", "-q", "-p", "no:cacheprovider"], {
      cwd: root,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (exitCode) => resolve({ code: exitCode, output: text }));
  });
  if (code !== 0) throw new Error(`pytest exited ${code}:\n${output}`);
  expect(output).toMatch(/\d+ passed/);
  expect(output).not.toMatch(/skipped|xfail/);
});
