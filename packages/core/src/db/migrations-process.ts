/**
 * Runs the migrations in a short-lived child process. Drizzle's PostgreSQL
 * driver module costs the process that loads it ~165 MB (PSS), and the
 * launcher's supervisor and the embedded database's owner otherwise never need
 * Drizzle: they stay small, and only the app process holds it.
 *
 *   node <core>/db/migrate-main.js <url>   (the child: migrates, exits 0)
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { packageRoot } from "../package-root";

export async function runMigrationsInChild(url: string): Promise<void> {
  const entry = path.join(packageRoot(), "db/migrate-main.js");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [entry, url], { stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`migrations failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}
