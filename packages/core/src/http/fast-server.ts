/**
 * The installations' path. Installations call a handful of JSON endpoints all
 * day with `Authorization: Bearer <key>`; those requests are answered here,
 * straight from node:http, without the framework's per-request cost. Every
 * other request (pages, server actions, and API calls that rely on a browser
 * session cookie) goes to Next.js. Both paths run the same handlers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { config } from "../server/config";
import { type ApiRequest, type ApiResponse, readLimited } from "./api";
import { currentClientIp } from "./client-ip";
import { pathnameOf } from "./front-door";
import { INSTALLATION_ROUTES, methodNotAllowed } from "./installation-api";

/** Writes an API answer. The security headers are already on `res`: the launcher sets them on every request. */
export function send(res: ServerResponse, response: ApiResponse): void {
  if (response.body === undefined) {
    res.writeHead(response.status, response.headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(payload),
    ...response.headers,
  });
  res.end(payload);
}

/** Decides whether the fast path serves this request: installation endpoints without a browser session. */
function fastRoute(req: IncomingMessage, pathname: string) {
  const route = INSTALLATION_ROUTES[pathname];
  if (!route) return null;
  const hasBearer = Boolean(req.headers.authorization);
  const hasCookie = Boolean(req.headers.cookie);
  if (hasCookie && !hasBearer && pathname !== "/api/public-key") return null; // session-aware path
  return route;
}

/** Handles the request and returns true, or returns false to let Next.js have it. */
export async function handleFast(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const pathname = pathnameOf(req.url);
  const route = fastRoute(req, pathname);
  if (!route) return false;
  const method = req.method ?? "GET";
  const handler = route[method] ?? (method === "HEAD" ? route.GET : undefined);
  if (!handler) {
    send(res, methodNotAllowed(Object.keys(route)));
    return true;
  }
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
  const response = await handler(apiRequest);
  send(res, response);
  return true;
}
