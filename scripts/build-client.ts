/**
 * Builds the publishable installation client (packages/client) into packages/client/dist:
 *
 *   dist/esm/index.js, dist/esm/cli.js   ESM (the bin: cli.js, with its shebang)
 *   dist/cjs/index.cjs, dist/cjs/cli.cjs CommonJS
 *   dist/esm/*.d.ts, dist/cjs/*.d.cts    declarations from tsc (the .d.cts are the same
 *                                        declarations with CommonJS specifiers)
 *
 * `jose` is bundled into each entry point: the published package has no runtime dependencies
 * and installs from its tarball on an offline server. Node built-ins stay imports.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type BuildOptions, build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const packageDir = path.join(root, "packages/client");
const dist = path.join(packageDir, "dist");
const { version } = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string };

const started = Date.now();
rmSync(dist, { recursive: true, force: true });

const common: BuildOptions = {
  entryPoints: [path.join(packageDir, "src/index.ts"), path.join(packageDir, "src/cli.ts")],
  bundle: true,
  platform: "node",
  // The package's engines floor (node >=20.19).
  target: "node20",
  logLevel: "warning",
  legalComments: "eof",
};
await build({ ...common, format: "esm", outdir: path.join(dist, "esm") });
await build({ ...common, format: "cjs", outdir: path.join(dist, "cjs"), outExtension: { ".js": ".cjs" } });
chmodSync(path.join(dist, "esm/cli.js"), 0o755);
chmodSync(path.join(dist, "cjs/cli.cjs"), 0o755);

// Real declarations from the source; the CommonJS copies point at each other (.cjs → .d.cts).
const tsc = path.join(root, "node_modules/typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", path.join(packageDir, "tsconfig.json")], { stdio: "inherit" });
for (const file of readdirSync(path.join(dist, "esm")).filter((f) => f.endsWith(".d.ts"))) {
  const source = readFileSync(path.join(dist, "esm", file), "utf8");
  const cjs = source.replace(/(["']\.{1,2}\/[^"']+)\.js(["'])/g, "$1.cjs$2");
  writeFileSync(path.join(dist, "cjs", file.replace(/\.d\.ts$/, ".d.cts")), cjs);
}
console.error(
  `[build:client] @ticketzero/license-client ${version} → packages/client/dist in ${Date.now() - started} ms`,
);
// A customer build ships the vendor's keys; without them every installation needs --jwks (and an
// air-gapped one cannot trust any license file).
if (/keys:\s*\[\s*\]/.test(readFileSync(path.join(packageDir, "src/vendor-keys.ts"), "utf8"))) {
  console.error(
    "[build:client] no vendor keys pinned (packages/client/src/vendor-keys.ts): installations must pass --jwks / jwks. For customers, run `npm run client:pin-keys` with the production signing keys first.",
  );
}
