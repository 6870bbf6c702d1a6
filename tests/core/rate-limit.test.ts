/**
 * Per-IP limits answer 429 RATE_LIMITED with Retry-After once their budget is
 * spent: trial creation, and failed key lookups (which then block the IP).
 * Each test uses its own client address (TRUST_PROXY=1), so runs never share
 * counters.
 */

import { issueLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";
import { type CallResult, call, emailFootprint, randomIp, serverEnv, testEmail } from "../support/http";

const TRIALS = 3;
const FAILED_LOOKUPS = 4;
let server: AppServer;

beforeAll(async () => {
  server = await startAppServer({
    env: serverEnv({ RATE_LIMIT_TRIALS_PER_HOUR: String(TRIALS), RATE_LIMIT_FAILED_LOOKUPS: String(FAILED_LOOKUPS) }),
  });
});
afterAll(async () => {
  await server?.stop();
});

function expectRateLimited(result: CallResult) {
  expect(result.status).toBe(429);
  expect(result.body).toMatchObject({ error: { code: "RATE_LIMITED", message: expect.any(String) } });
  const retryAfter = Number(result.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
}

describe("rate limits", () => {
  it("trials per IP: the budget, then 429 with Retry-After, and nothing written", async () => {
    const ip = randomIp();
    for (let i = 0; i < TRIALS; i++) {
      const ok = await call(server.url, "/admin/generate-trial", { ip, body: { email: testEmail("rl-trial") } });
      expect(ok.status, ok.text).toBe(201);
    }
    const email = testEmail("rl-trial-refused");
    const refused = await call(server.url, "/admin/generate-trial", { ip, body: { email } });
    expectRateLimited(refused);
    expect(await emailFootprint(email)).toEqual({ licenses: 0, trials: 0, users: 0 });
    // Another address still has its own budget.
    const other = await call(server.url, "/admin/generate-trial", { body: { email: testEmail("rl-other") } });
    expect(other.status).toBe(201);
  });

  it("failed key lookups per IP: after the budget, 429 with Retry-After, even for a valid key", async () => {
    const ip = randomIp();
    const { key } = await issueLicense({ plan: "starter", email: testEmail("rl-lookup") }, { actor: "test" });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | null = null;
    for (let i = 0; i < FAILED_LOOKUPS + 5 && !limited; i++) {
      const guess = i % 2 ? "TZ-PRO-AAAA-BBBB-CCCC-DDDD" : "TZ-PRO-not-a-key";
      const result = await call(server.url, "/api/license-status", { ip, key: guess });
      statuses.push(result.status);
      if (result.status === 429) limited = result;
    }
    expect(limited, `statuses: ${statuses.join(",")}`).not.toBeNull();
    expectRateLimited(limited!);
    expect(statuses.slice(0, FAILED_LOOKUPS).every((s) => s === 400 || s === 404)).toBe(true);
    // The address is blocked for every key now; another address is not.
    expectRateLimited(await call(server.url, "/api/license-status", { ip, key }));
    expect((await call(server.url, "/api/license-status", { key })).status).toBe(200);
  });
});
