/**
 * The JSON API on either side of the launcher, and the contract's refusal.
 *
 * - "fast": the launcher's own installation server. A request with
 *   `Authorization: Bearer <key>`, or with no cookie at all.
 * - "next": the Next.js route handler for the same endpoint. A request that
 *   carries a cookie (the client's session if it signed in, else `tz=1`), its
 *   own Origin, and no Authorization — so it can never carry a key as bearer.
 */
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { answeredBy, type Client, type Reply, type SendOptions } from "./client";

export type ApiPath = "fast" | "next";
export const API_PATHS: readonly ApiPath[] = ["fast", "next"];

export type ApiOptions = Omit<SendOptions, "body"> & { key?: string; instanceId?: string };

/** Headers that route a request to `path`. */
export function pathHeaders(client: Client, path: ApiPath, options: ApiOptions = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.instanceId !== undefined) headers["X-Instance-Id"] = options.instanceId;
  if (path === "fast") {
    if (options.key !== undefined) headers.Authorization = `Bearer ${options.key}`;
  } else {
    if (options.key !== undefined) throw new Error("a key sent as bearer takes the request to the fast path");
    headers.Cookie = client.cookieHeader() ?? "tz=1";
    headers.Origin = client.origin;
  }
  return { ...headers, ...options.headers };
}

/** A request on `path`; `value` is sent as JSON unless it is a string or Buffer (then as is). */
export function api(client: Client, path: ApiPath, endpoint: string, value?: unknown, options: ApiOptions = {}) {
  const headers = pathHeaders(client, path, options);
  const { key: _key, instanceId: _instanceId, ...send } = options;
  if (value === undefined) return client.send(endpoint, { ...send, headers });
  return client.json(endpoint, value, { ...send, headers });
}

/** Fails unless the reply came from the side of the launcher the test meant to reach. */
export function expectAnsweredBy(reply: Reply, path: ApiPath): void {
  expect(answeredBy(reply), `expected the ${path} path to answer (vary: ${reply.headers.vary ?? "none"})`).toBe(path);
}

const STACK = /\bat [^\n]+\.(ts|tsx|js|mjs):\d+|node_modules\//;

/** The documented refusal: status, JSON content type, exactly `{"error": {"code", "message"}}`, no stack. */
export function expectError(reply: Reply, status: number | readonly number[], code: string | readonly string[]): void {
  const what = `${reply.status} ${reply.headers["content-type"] ?? "(no content type)"}: ${reply.text.slice(0, 300)}`;
  const statuses = typeof status === "number" ? [status] : status;
  const codes = typeof code === "string" ? [code] : code;
  expect(statuses, what).toContain(reply.status);
  expect(String(reply.headers["content-type"] ?? ""), what).toMatch(/^application\/json\b/);
  expect(reply.body, what).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(Object.keys(reply.body), what).toEqual(["error"]);
  expect(codes, what).toContain(reply.body.error.code);
  expect(reply.body.error.message.length, what).toBeGreaterThan(0);
  expect(reply.text, what).not.toMatch(STACK);
}

/** 429 RATE_LIMITED with a whole number of seconds in Retry-After. */
export function expectRateLimited(reply: Reply): void {
  expectError(reply, 429, "RATE_LIMITED");
  const retryAfter = Number(reply.headers["retry-after"]);
  expect(Number.isInteger(retryAfter), `Retry-After: ${reply.headers["retry-after"]}`).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
}

/** A fresh address per call: tests share one database (and, on PostgreSQL, keep it between runs). */
export const email = (what: string) => `bb-${what}-${randomBytes(5).toString("hex")}@example.test`;
export const instance = (what: string) => `bb-${what}-${randomBytes(4).toString("hex")}`;

export const TRIAL_KEY = /^TZ-TRIAL-[0-9A-HJKMNP-TV-Z]{8}$/;
