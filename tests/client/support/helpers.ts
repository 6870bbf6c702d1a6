import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { createLicenseClient, type JsonWebKeySet, type LicenseClientOptions } from "../../../packages/client/src/index";

export const DAY = 86_400_000;

const created: string[] = [];
// Registered while a test file imports this module: runs after that file's own afterAll hooks.
afterAll(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system temp dir, removed when the test file is done. */
export function tempDir(prefix = "tz-client-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A controllable clock: starts at real time, moved explicitly by tests (no sleeping). */
export function fakeClock(start = Date.now()) {
  let t = start;
  return {
    now: () => new Date(t),
    set(ms: number) {
      t = ms;
    },
    advance(ms: number) {
      t += ms;
    },
    get ms() {
      return t;
    },
  };
}

/** Records requested delays and resolves immediately. */
export function recordingSleep() {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

/** A server the test started: its URL and its published key set (the test's explicit trust anchor). */
export type TrustedServer = { url: string; plainJwks(): JsonWebKeySet };

/**
 * A client on a test clock. Given a server object (`stub`), the client trusts that server's
 * published keys (`jwks`: the explicit choice), unless the test passes `jwks` or
 * `trustOnFirstUse` itself. Given a bare URL, the test must choose a trust anchor.
 */
export function makeClient(
  server: string | TrustedServer,
  licenseKey: string,
  extra: Partial<LicenseClientOptions> & { dataDir?: string } = {},
) {
  const sleeper = recordingSleep();
  const clock = fakeClock();
  const dataDir = extra.dataDir ?? tempDir();
  const url = typeof server === "string" ? server : server.url;
  const anchor =
    typeof server !== "string" && extra.jwks === undefined && extra.trustOnFirstUse === undefined
      ? { jwks: server.plainJwks() }
      : {};
  const client = createLicenseClient({
    serverUrl: url,
    licenseKey,
    dataDir,
    now: clock.now,
    sleep: sleeper.sleep,
    random: () => 0.5,
    timeoutMs: 2_000,
    ...anchor,
    ...extra,
  });
  return { client, clock, delays: sleeper.delays, dataDir };
}
