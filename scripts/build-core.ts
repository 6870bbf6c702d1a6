/**
 * Builds the server core (packages/core/src) into node_modules/@ticketzero/core.
 *
 * Why a built package in node_modules: Next.js bundles local source into each
 * of its server runtimes (pages and actions, route handlers), so a process
 * that also runs the launcher's fast path would hold three copies of the core
 * — three database pools, three config caches, three copies of every class
 * that `instanceof` checks. A package listed in `serverExternalPackages` is
 * not bundled: Next.js imports it at run time from node_modules, and Node's
 * module cache hands the launcher, both runtimes, the CLI and the timers the
 * same instance. Turbopack externalises only packages that really live in
 * node_modules (a workspace symlink is bundled as local source), hence the
 * output folder.
 *
 * One ESM bundle with code splitting: every source module exists once, in its
 * entry file or a shared chunk. Third-party packages stay external imports.
 * Types: each entry gets a `.d.ts` that re-exports its source, so `tsc` checks
 * the app against the real code. Browsers: every entry but the pure plans
 * catalogue and formatters resolves to a `server-only` guard under the `browser` condition, so
 * a client component that imports the core fails the build.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const source = path.join(root, "packages/core/src");
const outdir = path.join(root, "node_modules/@ticketzero/core");
/** Modules a client component may import: pure data and types, no Node.js APIs. */
const BROWSER_SAFE = ["license/plans", "license/format"];

const entries = (readdirSync(source, { recursive: true }) as string[])
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  .map((file) => file.replace(/\\/g, "/").replace(/\.ts$/, ""))
  .sort();

const started = Date.now();
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: entries.map((entry) => path.join(source, `${entry}.ts`)),
  outdir,
  outbase: source,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node24",
  // Every npm package stays an import (drizzle-orm, postgres, graphile-worker, pg, …): see next.config.ts.
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning",
});

for (const entry of entries) {
  const typesFile = path.join(outdir, `${entry}.d.ts`);
  const target = path.relative(path.dirname(typesFile), path.join(source, entry)).replace(/\\/g, "/");
  writeFileSync(typesFile, `export * from "${target}";\n`);
}
writeFileSync(path.join(outdir, "server-only.js"), 'import "server-only";\n');
cpSync(path.join(root, "packages/core/migrations"), path.join(outdir, "migrations"), { recursive: true });
mkdirSync(outdir, { recursive: true });
writeFileSync(
  path.join(outdir, "package.json"),
  `${JSON.stringify(
    {
      name: "@ticketzero/core",
      version: "0.1.0",
      private: true,
      type: "module",
      description: "Built from packages/core by scripts/build-core.ts; do not edit.",
      exports: {
        ...Object.fromEntries(
          BROWSER_SAFE.map((entry) => [`./${entry}`, { types: `./${entry}.d.ts`, default: `./${entry}.js` }]),
        ),
        "./*": { types: "./*.d.ts", browser: "./server-only.js", default: "./*.js" },
      },
    },
    null,
    2,
  )}\n`,
);
console.error(`[build:core] ${entries.length} modules → node_modules/@ticketzero/core in ${Date.now() - started} ms`);
