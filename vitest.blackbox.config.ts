/**
 * The black-box HTTP contract suite (tests/blackbox): the real launcher with
 * the Next.js production build loaded, started as a separate process per
 * file, talked to only over HTTP. Needs `npm run build` first; runs on the
 * embedded database by default or on the PostgreSQL in DATABASE_URL.
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["tests/blackbox/**/*.test.ts"],
    exclude: ["node_modules/**"],
    // Each file starts its own server(s) with Next.js loaded: two files at a time on a 2-core machine.
    maxWorkers: 2,
  },
});
