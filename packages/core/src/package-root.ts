import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder of the core package (built: node_modules/@ticketzero/core; source:
 * packages/core), found from wherever the bundler put this code, for files the
 * core ships beside its code (the migrations).
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "@ticketzero/core") return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("@ticketzero/core: package.json not found above its code");
    dir = parent;
  }
}
