/**
 * The installations' path. Installations call a handful of JSON endpoints all
 * day with `Authorization: Bearer <key>`; those requests are answered here,
 * straight from node:http, without the framework's per-request cost. Every
 * other request (pages, server actions, and API calls that rely on a browser
 * session cookie) goes to Next.js. Both paths run the same handlers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { config } from "../server/config";
import { securityHeaders } from "../server/security-headers";
import { type ApiRequest, type ApiResponse, readLimited } from "./api";
import { currentClientIp } from "./client-ip";
import { INSTALLATION_ROUTES, methodNotAllowed } from "./installation-api";

export function send(res: ServerResponse, response: ApiResponse): void {
  if (response.body === undefined) {
    res.writeHead(response.status, { ...securityHeaders(), ...response.headers });
    res.end();
    return;
  }
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...securityHeaders(),
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
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const pathname = q === -1 ? url : url.slice(0, q);
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
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > config().maxBodyBytes) bodyTooLarge = true;
    else ({ body, tooLarge: bodyTooLarge } = await readLimited(req, config().maxBodyBytes));
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
  };
  const response = await handler(apiRequest);
  send(res, response);
  return true;
}
