/**
 * The back-office CLI runs beside an app: without APP_ENV it takes the app's
 * mode from the data folder — generated development secrets there mean a
 * `npm run dev`/`npm run demo` install — and is production otherwise (so it
 * needs the same environment as `npm start`).
 */
import { existsSync } from "node:fs";
import path from "node:path";

if (!process.env.APP_ENV) {
  const dataDir = path.resolve(process.env.DATA_DIR || ".data");
  process.env.APP_ENV = existsSync(path.join(dataDir, "secrets.json")) ? "development" : "production";
}
