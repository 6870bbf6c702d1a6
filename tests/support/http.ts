/**
 * Helpers for tests that talk to a real server process or call the API
 * handlers directly, and that count their own rows in the shared database.
 */
import { randomBytes, randomInt } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import type { ApiHandler, ApiRequest } from "@ticketzero/core/http/api";
import { sql } from "drizzle-orm";

/** A random suffix: tests share one database (and, on PostgreSQL, keep it between runs). */
export const suffix = () => randomBytes(6).toString("hex");
export const testEmail = (what: string) => `${what}-${suffix()}@example.test`;

/** A random client address (servers run with TRUST_PROXY=1), so per-IP limits never leak between tests or runs. */
export const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** Env for a test server: per-IP addresses from X-Forwarded-For, generous limits unless overridden. */
/** Rate limits no test meets unless it sets its own. */
export const GENEROUS_LIMITS: Record<string, string> = {
  RATE_LIMIT_ACTIVATIONS_PER_HOUR: "100000",
  RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR: "100000",
  RATE_LIMIT_TRIALS_PER_HOUR: "100000",
  RATE_LIMIT_KEY_PER_MINUTE: "100000",
  RATE_LIMIT_FAILED_LOOKUPS: "100000",
};

export function serverEnv(overrides: Record<string, string> = {}): Record<string, string> {
  // WEBHOOK_ALLOW_PRIVATE_TARGETS: a server with the job runner may deliver to a test's local receiver.
  return {
    TRUST_PROXY: "1",
    DB_POOL_SIZE: "5",
    WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
    ...GENEROUS_LIMITS,
    ...overrides,
  };
}

export type CallOptions = {
  method?: string;
  key?: string;
  instanceId?: string;
  /** A value to send as JSON, or a raw string/Buffer (sent as is). */
  body?: unknown;
  contentType?: string | null;
  ip?: string;
  headers?: Record<string, string>;
  /** In-process calls only: the router's path parameters and the query string. */
  params?: Record<string, string>;
  query?: Record<string, string>;
};

/** A parsed JSON body: tests read into it freely and assert what they find. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON under test
export type Json = any;

export type CallResult = { status: number; body: Json; text: string; headers: Headers };

/** One HTTP request to a server; JSON in, JSON out. */
export async function call(baseUrl: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { "X-Forwarded-For": options.ip ?? randomIp(), ...options.headers };
  if (options.key !== undefined) headers.Authorization = `Bearer ${options.key}`;
  if (options.instanceId !== undefined) headers["X-Instance-Id"] = options.instanceId;
  let body: string | Buffer | undefined;
  if (options.body !== undefined) {
    body =
      typeof options.body === "string" || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
    if (options.contentType !== null) headers["Content-Type"] = options.contentType ?? "application/json";
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body: typeof body === "string" || body === undefined ? body : new Uint8Array(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/** Calls a handler in-process, the way the fast server would. */
export async function callHandler(handler: ApiHandler, options: CallOptions = {}) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.instanceId !== undefined) headers["x-instance-id"] = options.instanceId;
  let body: Buffer | null = null;
  if (options.body !== undefined) {
    body = Buffer.isBuffer(options.body)
      ? options.body
      : Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
    if (options.contentType !== null) headers["content-type"] = options.contentType ?? "application/json";
  }
  const req: ApiRequest = {
    method: options.method ?? (body ? "POST" : "GET"),
    header: (name) => headers[name.toLowerCase()] ?? null,
    body,
    bodyTooLarge: false,
    ip: options.ip ?? randomIp(),
    accountId: null,
    query: new URLSearchParams(options.query ?? {}),
    params: options.params ?? {},
  };
  return handler(req);
}

/** Every row a license owns, counted: a refused request must leave these unchanged. */
export async function footprint(licenseId: string) {
  const rows = await getDb().execute<{
    activations: number;
    usage_rows: number;
    tickets: number;
    state: string;
    updated_at: string;
    expires_at: string;
    deactivated: number;
    swaps: number;
    clients: number;
  }>(sql`
    select
      (select count(*)::int from activations where license_id = ${licenseId} and deactivated_at is null) as activations,
      (select count(*)::int from activations where license_id = ${licenseId} and deactivated_at is not null) as deactivated,
      (select count(*)::int from slot_swaps where license_id = ${licenseId}) as swaps,
      (select coalesce(sum(clients), 0)::int from activations where license_id = ${licenseId} and deactivated_at is null) as clients,
      (select count(*)::int from usage_months where license_id = ${licenseId}) as usage_rows,
      (select coalesce(sum(tickets), 0)::int from usage_months where license_id = ${licenseId}) as tickets,
      l.state, l.updated_at::text as updated_at, l.expires_at::text as expires_at
    from licenses l where l.id = ${licenseId}`);
  return { ...rows[0]! };
}

/** Licenses and trials held for one email. */
export async function emailFootprint(email: string) {
  const rows = await getDb().execute<{ licenses: number; trials: number; users: number }>(sql`
    select
      (select count(*)::int from licenses where email = ${email.trim().toLowerCase()}) as licenses,
      (select count(*)::int from trials where email = ${email.trim().toLowerCase()}) as trials,
      (select count(*)::int from users where email = ${email.trim().toLowerCase()}) as users`);
  return { ...rows[0]! };
}

/** Asserts the documented error shape and returns the code. */
export function errorCode(result: { status: number; body: Json }): string {
  const error = result.body?.error;
  if (!error || typeof error.code !== "string" || typeof error.message !== "string") {
    throw new Error(`not an error body (${result.status}): ${JSON.stringify(result.body)}`);
  }
  return error.code;
}
