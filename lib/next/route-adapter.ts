/**
 * Adapts a Next.js route handler's Request to the shared API handlers, adding
 * what only the framework knows: the signed-in account. A request that rides
 * on the session cookie must come from our own origin (CSRF).
 */
import "server-only";

import { type ApiHandler, type ApiRequest, errorResponse, json, readLimited } from "@ticketzero/core/http/api";
import { currentClientIp } from "@ticketzero/core/http/client-ip";
import { isSameOrigin } from "@ticketzero/core/http/front-door";
import { config } from "@ticketzero/core/server/config";
import { sessionAccountId } from "@/lib/auth/session";

const sameOrigin = (request: Request) => isSameOrigin(request.headers.get("origin"), request.headers.get("host"));

export function nextRoute(handler: ApiHandler) {
  return async (request: Request): Promise<Response> => {
    const toResponse = ({ status, body, headers }: Awaited<ReturnType<ApiHandler>>) =>
      Response.json(body, { status, headers });
    try {
      const bearer = request.headers.has("authorization");
      const accountId = bearer ? null : await sessionAccountId();
      if (accountId && request.method !== "GET" && !sameOrigin(request)) {
        return toResponse(json(403, { error: { code: "BAD_ORIGIN", message: "Cross-origin request refused." } }));
      }
      let body: Buffer | null = null;
      let bodyTooLarge = false;
      if (request.method !== "GET" && request.body) {
        ({ body, tooLarge: bodyTooLarge } = await readLimited(
          request.body,
          config().maxBodyBytes,
          request.headers.get("content-length"),
        ));
      }
      const apiRequest: ApiRequest = {
        method: request.method,
        header: (name) => request.headers.get(name),
        body,
        bodyTooLarge,
        ip: currentClientIp(),
        accountId,
        query: new URL(request.url).searchParams,
        params: {},
      };
      return toResponse(await handler(apiRequest));
    } catch (error) {
      return toResponse(errorResponse(error));
    }
  };
}
