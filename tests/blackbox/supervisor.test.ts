/**
 * The launcher's supervisor: if the app process dies anyway (a fault no guard
 * caught, an out-of-memory kill), another one serves on the same port within
 * seconds, on the same database, with nothing lost.
 */

import { issueLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { call, serverEnv, testEmail } from "../support/http";

describe("the supervisor", () => {
  let server: AppServer;
  beforeAll(async () => {
    server = await startAppServer({ apiOnly: false, env: serverEnv({ JOBS: "off" }) }); // SIGKILLed: no job of another file's may die with it
  });
  afterAll(async () => {
    await server?.stop();
  });

  const appPids = () => [...server.output().matchAll(/app pid (\d+)/g)].map((m) => Number(m[1]));

  it("starts a new app process when the app is killed, and it serves pages and the API", async () => {
    const { key } = await issueLicense({ plan: "starter", email: testEmail("supervisor") }, { actor: "test" });
    expect((await call(server.url, "/api/license-status", { key })).status).toBe(200);
    const [first] = appPids();
    expect(first).toBeGreaterThan(0);
    expect(first).not.toBe(server.process.pid);

    process.kill(first!, "SIGKILL");
    const deadline = Date.now() + 60_000;
    while (appPids().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const [, second] = appPids();
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    expect(server.output()).toMatch(/app process \d+ died \(SIGKILL\)/);

    const status = await call(server.url, "/api/license-status", { key });
    expect(status.status).toBe(200);
    expect(status.body.license.plan).toBe("starter");
    const page = await fetch(`${server.url}/plans`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Professional");
    expect(server.process.exitCode).toBeNull();
  });
});
