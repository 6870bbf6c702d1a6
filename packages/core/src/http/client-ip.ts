/**
 * The client's address, resolved in one place: from the socket, or — only
 * when the operator says how many proxies of theirs stand in front
 * (`TRUST_PROXY=N`) — from `X-Forwarded-For`, counted N hops from the right.
 * Entries left of those are whatever the client wrote and are never used.
 *
 * The launcher resolves it once per request and runs the rest of the request
 * (the fast path or Next.js) inside a request context, so route handlers and
 * server actions read it from here instead of from a header a client could set.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage } from "node:http";
import { config } from "../server/config";

export function resolveClientIp(req: IncomingMessage, trustedHops = config().trustedProxyHops): string {
  const socketAddress = req.socket.remoteAddress ?? "unknown";
  if (trustedHops === 0) return socketAddress;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  // The last proxy appended the address it saw; with N trusted proxies the client is N from the right.
  return hops[hops.length - trustedHops] ?? hops[0] ?? socketAddress;
}

const requestContext = new AsyncLocalStorage<{ ip: string }>();

export function withClientIp<T>(ip: string, run: () => T): T {
  return requestContext.run({ ip }, run);
}

/** The current request's client address; "unknown" outside a request the launcher accepted. */
export function currentClientIp(): string {
  return requestContext.getStore()?.ip ?? "unknown";
}
