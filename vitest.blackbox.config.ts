/**
 * The black-box HTTP contract suite (tests/blackbox): the real launcher with
 * the Next.js production build loaded, started as a separate process per
 * file, talked to only over HTTP. Needs `npm run build` first; runs on the
 * embedded database by default or on the PostgreSQL in DATABASE_URL.
 */
import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // What Next.js does for server code: the guard is empty outside a client bundle.
      "server-only": path.resolve(import.meta.dirname, "node_modules/server-only/empty.js"),
    },
  },
  test: {
    include: ["tests/blackbox/**/*.test.ts"],
    pool: "forks",
    // Each file starts its own server(s) with Next.js loaded: two files at a time on a 2-core machine.
    maxWorkers: 2,
    globalSetup: ["tests/setup/global.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
