/**
 * Framework-neutral request/response types for the JSON API. The fast
 * installation server (plain node:http) and the Next.js route handlers both
 * adapt their requests to these, so every endpoint has exactly one handler.
 */
import { z } from "zod";
import { isDatabaseUnavailable } from "../db/client";
import { INSTANCE_ID_PATTERN } from "../license/activations";
import { isLicenseError, LicenseError } from "../license/errors";
import { maskKeysIn } from "../license/keys";

export type ApiRequest = {
  method: string;
  header(name: string): string | null;
  /** The raw body, already cut off at the size limit (`bodyTooLarge` then says so). */
  body: Buffer | null;
  bodyTooLarge: boolean;
  ip: string;
  /** The signed-in account, when the request came through the session-aware (Next.js) path. */
  accountId: string | null;
  /** The URL's query string, parsed (validated by the operation's `query` schema). */
  query: URLSearchParams;
  /** Path parameters (`{id}` in the operation's path), filled in by the router. */
  params: Record<string, string>;
};

export type ApiResponse = { status: number; body: unknown; headers?: Record<string, string> };
export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse>;

export const json = (status: number, body: unknown, headers?: Record<string, string>): ApiResponse => ({
  status,
  body,
  headers,
});

export const unavailableResponse = (): ApiResponse =>
  json(
    503,
    { error: { code: "UNAVAILABLE", message: "The license service is temporarily unavailable. Try again shortly." } },
    { "Retry-After": "2" },
  );

/** A method the path does not have: 405 with `Allow`. */
export function methodNotAllowed(allowed: string[]): ApiResponse {
  return json(
    405,
    { error: { code: "METHOD_NOT_ALLOWED", message: `Use ${allowed.join(" or ")}.` } },
    { Allow: allowed.join(", ") },
  );
}

/** A path under /api/ that no operation has. */
export const noSuchEndpoint = (): ApiResponse =>
  json(404, { error: { code: "NOT_FOUND", message: "No such API endpoint." } });

export function errorResponse(error: unknown): ApiResponse {
  if (isLicenseError(error)) {
    const headers: Record<string, string> = {};
    if (error.extra.retryAfterSeconds) headers["Retry-After"] = String(error.extra.retryAfterSeconds);
    return json(
      error.status,
      {
        error: {
          code: error.code,
          message: maskKeysIn(error.message),
          ...(error.extra.details ? { details: error.extra.details } : {}),
        },
      },
      headers,
    );
  }
  if (isDatabaseUnavailable(error)) return unavailableResponse();
  console.error(
    "[api] unexpected error:",
    maskKeysIn(error instanceof Error ? (error.stack ?? error.message) : String(error)),
  );
  return json(500, { error: { code: "INTERNAL", message: "Something went wrong on our side." } });
}

/** Reads a JSON body against a strict zod schema: 415, 413, 400 with stable codes, before any work. */
export function parseBody<T extends z.ZodType>(req: ApiRequest, schema: T): z.infer<T> {
  if (req.bodyTooLarge) throw new LicenseError("PAYLOAD_TOO_LARGE", "The request body is too large.");
  const type = req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new LicenseError("UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON (Content-Type: application/json).");
  }
  let value: unknown;
  try {
    value = JSON.parse(req.body?.toString("utf8") || "");
  } catch {
    throw new LicenseError("INVALID_JSON", "The request body is not valid JSON.");
  }
  return validated(schema, value);
}

/**
 * `value` parsed by `schema`, or VALIDATION_FAILED naming each problem (`details`: path and message).
 * `where` prefixes the paths (`query.page`), for input that is not the body.
 */
export function validated<T extends z.ZodType>(schema: T, value: unknown, where?: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({
      path: [...(where ? [where] : []), ...issue.path.map(String)].join("."),
      message: issue.message,
    }));
    throw new LicenseError(
      "VALIDATION_FAILED",
      `Invalid request: ${details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ")}`,
      { details },
    );
  }
  return result.data;
}

/** The key from `Authorization: Bearer <key>`, or null when there is none. */
export function bearerKey(req: ApiRequest): string | null {
  const header = req.header("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1]!.trim() : header.trim();
}

export const INSTANCE_ID = z.string().regex(INSTANCE_ID_PATTERN, "1–128 characters of A-Z a-z 0-9 . _ : -");

/** `X-Instance-Id`, validated; null when absent. */
export function instanceIdHeader(req: ApiRequest): string | null {
  const value = req.header("x-instance-id");
  if (value === null || value === undefined) return null;
  if (!INSTANCE_ID_PATTERN.test(value)) {
    throw new LicenseError("VALIDATION_FAILED", "X-Instance-Id must be 1–128 characters of A-Z a-z 0-9 . _ : -");
  }
  return value;
}

/**
 * Reads a body up to `limit` bytes and stops there: past the limit it stops
 * reading (without draining or buffering the rest) and says so. Node streams
 * are paused; web streams are cancelled. The launcher closes the connection
 * once the answer is out (see `closeIfBodyUnread`).
 */
export async function readLimited(
  stream: NodeJS.ReadableStream | ReadableStream<Uint8Array>,
  limit: number,
  /** The request's Content-Length header, if any: over the limit, nothing is read at all. */
  declaredLength?: string | null,
): Promise<{ body: Buffer; tooLarge: boolean }> {
  if (Number(declaredLength ?? 0) > limit) return { body: Buffer.alloc(0), tooLarge: true };
  if ("getReader" in stream) return readWebLimited(stream, limit);
  const node = stream as NodeJS.ReadableStream & { readableEnded?: boolean };
  if (node.readableEnded) return { body: Buffer.alloc(0), tooLarge: false };
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      node.off("data", onData);
      node.off("end", onEnd);
      node.off("error", onError);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        done();
        node.pause();
        resolve({ body: Buffer.alloc(0), tooLarge: true });
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      done();
      resolve({ body: Buffer.concat(chunks), tooLarge: false });
    };
    const onError = (error: unknown) => {
      done();
      reject(error);
    };
    node.on("data", onData);
    node.on("end", onEnd);
    node.on("error", onError);
  });
}

async function readWebLimited(stream: ReadableStream<Uint8Array>, limit: number) {
  const reader = stream.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { body: Buffer.concat(chunks), tooLarge: false };
    size += value.length;
    if (size > limit) {
      void reader.cancel().catch(() => {});
      return { body: Buffer.alloc(0), tooLarge: true };
    }
    chunks.push(Buffer.from(value));
  }
}
