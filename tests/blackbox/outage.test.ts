/**
 * The production server (Next.js loaded) through a database outage under load.
 * Invariant: while the link to PostgreSQL is cut, every request gets 200 or
 * 503 UNAVAILABLE, none slower than 2 s; within 5 s of the link's return,
 * requests succeed again; the same app process serves throughout.
 * The cut is a TCP proxy that drops every connection and refuses new ones.
 */

import { issueLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { call, serverEnv, testEmail } from "../support/http";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

const CONNECTIONS = 16;
const CUT_MS = 6_000;

type Sample = { status: number; ms: number; at: number };

describe("a database outage under load (production server)", () => {
  let proxy: TcpProxy;
  let server: AppServer;
  let key: string;

  beforeAll(async () => {
    proxy = await startTcpProxy(process.env.DATABASE_URL!);
    server = await startAppServer({
      apiOnly: false,
      env: serverEnv({ DATABASE_URL: proxy.url, DB_POOL_SIZE: "10", JOBS: "off" }),
    });
    ({ key } = await issueLicense({ plan: "professional", email: testEmail("outage-load") }, { actor: "test" }));
    const activated = await call(server.url, "/admin/activate-license", { key, body: { instanceId: "load-1" } });
    expect(activated.status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
  });

  /** CONNECTIONS loops of status checks until `until`, each request timed. */
  async function load(until: () => boolean): Promise<Sample[]> {
    const samples: Sample[] = [];
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (!until()) {
          const started = Date.now();
          const result = await call(server.url, "/api/license-status", { key, instanceId: "load-1", ip: "10.9.9.9" });
          samples.push({ status: result.status, ms: Date.now() - started, at: started });
          if (result.status === 503) expect(result.body.error.code).toBe("UNAVAILABLE");
        }
      }),
    );
    return samples;
  }

  for (const round of [1, 2, 3]) {
    it(`round ${round}: only 200 or 503 within 2 s during the cut, 200 within 5 s of the restore, same process`, async () => {
      const appPid = () => /app pid (\d+)/.exec(server.output())?.[1];
      const pid = appPid();
      expect(pid).toBeDefined();
      const t0 = Date.now();
      let cutAt = 0;
      let restoredAt = 0;
      let recoveredAt = 0;
      const stopAt = () => recoveredAt > 0 && Date.now() > recoveredAt + 500;
      const running = load(() => stopAt() || Date.now() - t0 > 30_000);
      await new Promise((r) => setTimeout(r, 1_000)); // healthy load first
      cutAt = Date.now();
      proxy.pause();
      await new Promise((r) => setTimeout(r, CUT_MS));
      restoredAt = Date.now();
      proxy.resume();
      // Watch for the first success that started after the restore.
      while (!recoveredAt && Date.now() - restoredAt < 15_000) {
        const probe = await call(server.url, "/api/license-status", { key, instanceId: "load-1", ip: "10.9.9.8" });
        if (probe.status === 200) recoveredAt = Date.now();
        else await new Promise((r) => setTimeout(r, 100));
      }
      const samples = await running;

      const during = samples.filter((s) => s.at >= cutAt && s.at < restoredAt);
      expect(during.length).toBeGreaterThan(CONNECTIONS);
      expect(new Set(during.map((s) => s.status))).toSatisfy((codes: Set<number>) =>
        [...codes].every((code) => code === 200 || code === 503),
      );
      expect(during.filter((s) => s.status === 503).length).toBeGreaterThan(0);
      const slowest = Math.max(...samples.filter((s) => s.at >= cutAt).map((s) => s.ms));
      expect(slowest).toBeLessThan(2_000);
      expect(recoveredAt - restoredAt).toBeLessThan(5_000);
      expect(samples.filter((s) => s.at > recoveredAt).every((s) => s.status === 200)).toBe(true);
      expect(server.process.exitCode).toBeNull();
      expect(appPid()).toBe(pid);
      expect(server.output()).not.toContain("died");
      console.info(
        `[outage round ${round}] ${samples.length} requests; during the cut ${during.length} (${during.filter((s) => s.status === 503).length} × 503), slowest ${slowest} ms; first 200 ${recoveredAt - restoredAt} ms after the restore`,
      );
    });
  }
});
