import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLicenseClient, type LicenseClientOptions } from "../../../lib/client";

export const DAY = 86_400_000;

export function tempDir(prefix = "tz-client-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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

export function makeClient(
  url: string,
  licenseKey: string,
  extra: Partial<LicenseClientOptions> & { dataDir?: string } = {},
) {
  const sleeper = recordingSleep();
  const clock = fakeClock();
  const dataDir = extra.dataDir ?? tempDir();
  const client = createLicenseClient({
    serverUrl: url,
    licenseKey,
    dataDir,
    now: clock.now,
    sleep: sleeper.sleep,
    random: () => 0.5,
    timeoutMs: 2_000,
    ...extra,
  });
  return { client, clock, delays: sleeper.delays, dataDir };
}
