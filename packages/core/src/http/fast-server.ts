/**
 * The installations' path. Installations call a handful of JSON endpoints all
 * day with `Authorization: Bearer <key>`; those requests are answered here,
 * straight from node:http, without the framework's per-request cost, as are
 * the staff API and the OpenAPI document. Every other request (pages, server
 * actions, and API calls that rely on a browser session cookie) goes to
 * Next.js. Both paths run the same handlers, routed by `matchOperation`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { config } from "../server/config";
import { type ApiRequest, type ApiResponse, methodNotAllowed, noSuchEndpoint, readLimited } from "./api";
import { currentClientIp } from "./client-ip";
import { pathnameOf } from "./front-door";
import { ALL_OPERATIONS, STAFF_API_PREFIX } from "./openapi";
import { type AnyOperation, matchOperation, type Operation, runOperation } from "./operations";

/**
 * JSON text, once per body object: the status cache gives the same frozen answer to an
 * installation's check-ins for up to a second (license-status.ts), so it is serialised once.
 */
const texts = new WeakMap<object, string>();
function serialized(body: unknown): string {
  if (body === null || typeof body !== "object" || !Object.isFrozen(body)) return JSON.stringify(body);
  let text = texts.get(body);
  if (text === undefined) {
    text = JSON.stringify(body);
    texts.set(body, text);
  }
  return text;
}

/** Writes an API answer. The security headers are already on `res`: the launcher sets them on every request. */
export function send(res: ServerResponse, response: ApiResponse): void {
  if (response.body === undefined) {
    res.writeHead(response.status, response.headers);
    res.end();
    return;
  }
  const payload = serialized(response.body);
  res.writeHead(response.status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(payload),
    ...response.headers,
  });
  res.end(payload);
}

/**
 * Whether the fast path answers `operation` for this request (`servedBy`): a request that rides on a
 * browser session goes to Next.js, which knows the signed-in account. The staff API is always
 * answered here: bearer staff tokens only, never a session.
 */
function servedHere(operation: AnyOperation, req: IncomingMessage, pathname: string): operation is Operation {
  if (operation.servedBy === "next") return false;
  if (pathname.startsWith(STAFF_API_PREFIX) || operation.servedBy !== "fast-or-session") return true;
  return !(req.headers.cookie && !req.headers.authorization);
}

/** Handles the request and returns true, or returns false to let Next.js have it. */
export async function handleFast(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const pathname = pathnameOf(req.url);
  const method = req.method ?? "GET";
  const match = matchOperation(ALL_OPERATIONS, method, pathname);
  if (!match?.operation) {
    // The launcher's preflight answers these first; the staff API never reaches Next.js regardless.
    if (match) send(res, methodNotAllowed(match.allowed));
    else if (pathname.startsWith(STAFF_API_PREFIX)) send(res, noSuchEndpoint());
    else return false;
    return true;
  }
  const { operation, params } = match;
  if (!servedHere(operation, req, pathname)) return false;
  let body: Buffer | null = null;
  let bodyTooLarge = false;
  if (method !== "GET" && method !== "HEAD") {
    ({ body, tooLarge: bodyTooLarge } = await readLimited(req, config().maxBodyBytes, req.headers["content-length"]));
  }
  const apiRequest: ApiRequest = {
    method,
    header: (name) => {
      const value = req.headers[name.toLowerCase()];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    },
    body,
    bodyTooLarge,
    ip: currentClientIp(), // resolved once by the launcher, before the body was read
    accountId: null,
    query: new URLSearchParams(req.url?.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : ""),
    params: {},
  };
  send(res, await runOperation(operation, apiRequest, params));
  return true;
}
