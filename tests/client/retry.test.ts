import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LicenseError } from "../../packages/client/src/index";
import { makeClient } from "./support/helpers";
import { type StubServer, startStubServer } from "./support/stub-server";

let stub: StubServer;

beforeEach(async () => {
  stub = await startStubServer();
});

afterEach(async () => {
  await stub.stop();
});

describe("retries", () => {
  it("retries 429 and honours Retry-After seconds", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, delays } = makeClient(stub, lic.key, { maxRetries: 3 });
    stub.failNext(2, { status: 429, retryAfter: "2", path: "/admin/activate-license" });
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "VALID" });
    expect(delays).toEqual([2000, 2000]);
    expect(stub.countRequests("/admin/activate-license")).toBe(3);
  });

  it("caps a long Retry-After", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, delays } = makeClient(stub, lic.key, { maxRetryAfterMs: 30_000 });
    stub.failNext(1, { status: 429, retryAfter: "3600" });
    expect((await client.validateLicense()).valid).toBe(true);
    expect(delays).toEqual([30_000]);
  });

  it("retries 503 with exponential backoff and jitter", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, delays } = makeClient(stub, lic.key, { maxRetries: 3, retryBaseDelayMs: 500 });
    stub.failNext(3, { status: 503, path: "/admin/activate-license" });
    expect((await client.validateLicense()).valid).toBe(true);
    // random() = 0.5: half fixed + half jittered of 500, 1000, 2000.
    expect(delays).toEqual([375, 750, 1500]);
  });

  it("jitter stays within [half, full] of the exponential delay", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const lows = makeClient(stub, lic.key, { random: () => 0, retryBaseDelayMs: 1000 });
    stub.failNext(2, { status: 503 });
    await lows.client.validateLicense();
    expect(lows.delays).toEqual([500, 1000]);
    const highs = makeClient(stub, lic.key, { random: () => 0.999999, retryBaseDelayMs: 1000 });
    stub.failNext(2, { status: 503 });
    await highs.client.validateLicense();
    expect(highs.delays).toEqual([1000, 2000]);
  });

  it("gives up after maxRetries and falls back to offline mode", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, delays } = makeClient(stub, lic.key, { maxRetries: 2 });
    expect((await client.validateLicense()).valid).toBe(true);
    stub.failNext(3, { status: 503, path: "/api/license-status" });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    expect(result.message).toMatch(/503/);
    expect(delays).toHaveLength(2);
  });

  it("retries a 503 on usage reports (a refused request counts nothing) exactly once per failure", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, delays } = makeClient(stub, lic.key);
    await client.validateLicense();
    stub.failNext(1, { status: 503, retryAfter: "1", path: "/api/usage" });
    const report = await client.recordTickets(5);
    expect(report.remaining).toBe(4995);
    expect(lic.tickets).toBe(5);
    expect(delays).toEqual([1000]);
  });

  it("throws SERVER_UNREACHABLE from recordTickets when the server is gone, without retrying", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    const { client, delays } = makeClient(stub, lic.key, { maxRetries: 3 });
    await client.validateLicense();
    await stub.stop();
    const err = await client.recordTickets(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LicenseError);
    expect((err as LicenseError).code).toBe("SERVER_UNREACHABLE");
    expect((err as LicenseError).retryable).toBe(true);
    expect(delays).toEqual([]);
  });

  it("times out a hung request with AbortSignal.timeout and retries it", async () => {
    const lic = stub.addLicense({ plan: "professional" });
    let calls = 0;
    const hangingFetch = (_input: string, init?: RequestInit) => {
      calls++;
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    };
    const { client, delays } = makeClient(stub, lic.key, { fetch: hangingFetch, timeoutMs: 50, maxRetries: 1 });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "NO_CACHE" });
    expect(result.message).toMatch(/timed out/);
    expect(calls).toBe(2);
    expect(delays).toHaveLength(1);
  });
});
