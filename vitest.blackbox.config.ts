/** The black-box suite: the production server (`npm run build` first), over HTTP only. */
import { defineConfig } from "vitest/config";
import base from "./vitest.config";

export default defineConfig({
  ...base,
  test: { ...base.test, include: ["tests/blackbox/**/*.test.ts"], exclude: ["node_modules/**"] },
});
