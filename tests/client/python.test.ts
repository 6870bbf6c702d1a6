/**
 * The Python client (clients/python) against the real server: runs its pytest suite on this run's
 * database (DATABASE_URL and DATA_DIR from tests/setup/global.ts), so `npm test` and CI cover it
 * on both databases. Missing python3, pytest or cryptography is a failure, never a skip.
 */
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * The interpreter: $PYTHON, else the PATH's python3, else pyenv's — the first that has pytest and
 * cryptography (on this kind of machine Debian's /usr/bin/python3 has cryptography only).
 */
function pythonWithPytest(): string {
  const pyenvRoot = process.env.PYENV_ROOT ?? path.join(os.homedir(), ".pyenv");
  const candidates = [process.env.PYTHON, "python3", path.join(pyenvRoot, "shims/python3")].filter((c): c is string =>
    Boolean(c),
  );
  const tried: string[] = [];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ["-c", "import pytest, cryptography"], { encoding: "utf8" });
    if (!probe.error && probe.status === 0) return candidate;
    tried.push(`${candidate}: ${probe.error?.message ?? probe.stderr.trim().split("\n").pop()}`);
  }
  throw new Error(`python3 with pytest and cryptography is required for the Python client tests:\n${tried.join("\n")}`);
}

it("the Python client's pytest suite passes against the real server", { timeout: 900_000 }, async () => {
  const python = pythonWithPytest();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(python, ["-m", "pytest", "clients/python/tests", "-q", "-p", "no:cacheprovider"], {
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
