/**
 * What the launcher checks before the fast path or Next.js sees a request, so
 * that the framework path speaks the same contract as the fast path: a wrong
 * method, an unknown API path, `TRACE`, or a cross-site form post gets the
 * JSON error shape with a stable code, never an empty 405 or a text 500.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { config } from "../server/config";
import { isOutboxEnabled } from "../server/mail";
import { type ApiResponse, json, methodNotAllowed, noSuchEndpoint } from "./api";
import { SERVER_ACTION_BODY_LIMIT_BYTES } from "./limits";
import { ALL_OPERATIONS } from "./openapi";
import { matchOperation } from "./operations";

const AUTH_PREFIX = "/api/auth/"; // next-auth's own endpoints
const PAGE_METHODS = ["GET", "HEAD", "POST"]; // POST: server actions and their no-JS form posts

/** True when `origin` is this portal: PUBLIC_URL, or the Host the request was sent to. */
export function isSameOrigin(origin: string | null | undefined, host: string | null | undefined): boolean {
  if (!origin) return false;
  return (
    origin === config().publicUrl || (Boolean(host) && (origin === `http://${host}` || origin === `https://${host}`))
  );
}

export function pathnameOf(url: string | undefined): string {
  const raw = url ?? "/";
  const q = raw.indexOf("?");
  return q === -1 ? raw : raw.slice(0, q);
}

/** The refusal for a request no handler should see, or null to let it through. */
export function preflight(req: IncomingMessage): ApiResponse | null {
  const method = req.method ?? "GET";
  const pathname = pathnameOf(req.url);
  // Every operation, on either side of the launcher (templated paths too: /api/staff/v1/licenses/{id}).
  const match = matchOperation(ALL_OPERATIONS, method, pathname);
  if (match?.operation) return null;
  if (match) {
    if (method === "OPTIONS") {
      const allowed = match.allowed.includes("GET") ? [...match.allowed, "HEAD"] : match.allowed;
      return { status: 204, body: undefined, headers: { Allow: allowed.join(", ") } };
    }
    return methodNotAllowed(match.allowed);
  }
  if (pathname.startsWith(AUTH_PREFIX)) return PAGE_METHODS.includes(method) ? null : methodNotAllowed(["GET", "POST"]);
  if (pathname === "/api" || pathname.startsWith("/api/")) return noSuchEndpoint();
  if (!PAGE_METHODS.includes(method)) return methodNotAllowed(["GET", "POST"]);
  // The dev outbox shows sign-in links and keys: outside development it does not exist, decided
  // here before any page shell streams a 200.
  if ((pathname === "/dev" || pathname.startsWith("/dev/")) && !isOutboxEnabled()) {
    return json(404, { error: { code: "NOT_FOUND", message: "Not found." } });
  }
  // A browser always sends Origin on a POST (sandboxed or opaque ones send "null"): anything
  // but this portal is a cross-site form post or server action call, refused here.
  const origin = req.headers.origin;
  if (method === "POST" && origin !== undefined && !isSameOrigin(origin, req.headers.host)) {
    return json(403, { error: { code: "BAD_ORIGIN", message: "Cross-origin request refused." } });
  }
  // Over Next.js's server action limit, Next.js answers a bare 500: the same refusal as the API's instead.
  const length = Number(req.headers["content-length"]);
  if (method === "POST" && Number.isFinite(length) && length > SERVER_ACTION_BODY_LIMIT_BYTES) {
    return json(413, {
      error: {
        code: "PAYLOAD_TOO_LARGE",
        message: `The form sent more than ${SERVER_ACTION_BODY_LIMIT_BYTES / 1024} KB. Nothing was changed.`,
      },
    });
  }
  return null;
}

/**
 * A response that went out before its request body was read (413, an early
 * refusal) must not leave the rest of the upload to be buffered or parsed as
 * the next request: discard what still arrives for a moment, then close.
 */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket; // Node detaches it from req and res once the exchange is over
  res.once("finish", () => {
    if (req.complete) return;
    req.resume(); // discard, never buffer
    const timer = setTimeout(() => socket.destroy(), 1_000);
    timer.unref();
    req.once("end", () => {
      clearTimeout(timer);
      socket.end();
    });
  });
}
