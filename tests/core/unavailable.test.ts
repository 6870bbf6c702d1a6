/**
 * With the database unreachable the API answers 503 UNAVAILABLE (never 500),
 * and the same server process recovers by itself when the database returns.
 * A TCP proxy between the server process and the test database plays the
 * outage.
 */

import { issueLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { call, serverEnv, testEmail } from "../support/http";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

let proxy: TcpProxy;
let server: AppServer;
let key: string;

beforeAll(async () => {
  proxy = await startTcpProxy(process.env.DATABASE_URL!);
  server = await startAppServer({ env: serverEnv({ DATABASE_URL: proxy.url }) });
  ({ key } = await issueLicense({ plan: "professional", email: testEmail("outage") }, { actor: "test" }));
});
afterAll(async () => {
  await server?.stop();
  await proxy?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("database outage", () => {
  it("503 UNAVAILABLE while the database is away, 200 again once it is back, same process", async () => {
    expect((await call(server.url, "/api/license-status", { key })).status).toBe(200);

    proxy.pause();
    const during = [
      await call(server.url, "/api/license-status", { key }),
      await call(server.url, "/api/license-status", { key: "TZ-PRO-AAAA-BBBB-CCCC-DDDD" }),
      await call(server.url, "/admin/activate-license", { body: { licenseKey: key, instanceId: "outage-1" } }),
      await call(server.url, "/api/usage", { key, body: { tickets: 1 } }),
      await call(server.url, "/admin/generate-trial", { body: { email: testEmail("outage-trial") } }),
    ];
    for (const result of during) {
      expect(result.status, result.text).toBe(503);
      expect(result.body).toMatchObject({ error: { code: "UNAVAILABLE", message: expect.any(String) } });
      expect(Number(result.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // Input checks that need no database still answer as usual.
    expect((await call(server.url, "/api/usage", { key, body: "{" })).status).toBe(400);
    expect((await call(server.url, "/api/public-key")).status).toBe(200);

    proxy.resume();
    let recovered = 0;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const result = await call(server.url, "/api/license-status", { key });
      expect([200, 503]).toContain(result.status);
      if (result.status === 200) {
        recovered = result.status;
        break;
      }
      await sleep(250);
    }
    expect(recovered).toBe(200);
    expect(server.process.exitCode).toBeNull();
    const activated = await call(server.url, "/admin/activate-license", {
      body: { licenseKey: key, instanceId: "after-outage" },
    });
    expect(activated.status).toBe(201);
  });
});
