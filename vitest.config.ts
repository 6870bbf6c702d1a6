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
    include: ["tests/**/*.test.ts"],
    // tests/blackbox needs a Next.js build: `npm run test:blackbox` (vitest.blackbox.config.ts).
    exclude: ["tests/e2e/**", "tests/blackbox/**", "node_modules/**"],
    pool: "forks",
    globalSetup: ["tests/setup/global.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
