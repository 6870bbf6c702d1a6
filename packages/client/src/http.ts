import { CLIENT_CODES, LicenseError } from "./errors.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export type SleepFn = (ms: number) => Promise<void>;

export type HttpOptions = {
  baseUrl: string;
  fetch: FetchLike;
  sleep: SleepFn;
  random: () => number;
  timeoutMs: number;
  maxRetries: number;
  /** First backoff delay; doubles every attempt. */
  baseDelayMs: number;
  /** Cap of the exponential backoff delay. */
  maxDelayMs: number;
  /** Cap applied to a server's `Retry-After`. */
  maxRetryAfterMs: number;
  userAgent: string;
  /** Observer for every attempt (used by the simulator for latency figures). */
  onAttempt?: (event: AttemptEvent) => void;
};

export type AttemptEvent = {
  method: string;
  path: string;
  attempt: number;
  status: number | null;
  code: string | null;
  durationMs: number;
  error?: string;
};

export type HttpResponse<T> = {
  status: number;
  body: T;
  headers: Headers;
  /** The server's clock from its `Date` header, when present and sane. */
  serverDate: Date | null;
};

export type RequestSpec = {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /**
   * Whether the request may be repeated after a network error or timeout (where the server may
   * have acted). 429 and 503 are always retried: a refused request changes nothing.
   */
  idempotent: boolean;
};

/** Thrown when the server answered with a non-2xx status that is not worth retrying. */
export class HttpError extends LicenseError {}

/** Server unreachable after retries: network error, timeout, 5xx or 429. Callers may fall back to cache. */
export class UnreachableError extends LicenseError {}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** Parses `Retry-After` (delta seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return null;
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(
  attempt: number,
  opts: Pick<HttpOptions, "baseDelayMs" | "maxDelayMs" | "random">,
): number {
  const exp = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** attempt);
  return Math.round(exp / 2 + (exp / 2) * opts.random());
}

function errorFromBody(
  body: unknown,
): { code: string; message: string; details: Record<string, unknown> | undefined } | null {
  if (body && typeof body === "object" && "error" in body) {
    const err = (body as { error: unknown }).error;
    if (err && typeof err === "object") {
      const code = (err as { code?: unknown }).code;
      const message = (err as { message?: unknown }).message;
      const details = (err as { details?: unknown }).details;
      if (typeof code === "string") {
        return {
          code,
          message: typeof message === "string" ? message : code,
          details:
            details && typeof details === "object" && !Array.isArray(details)
              ? (details as Record<string, unknown>)
              : undefined,
        };
      }
    }
  }
  return null;
}

/** The longer of `Retry-After` and `details.retryAfterSeconds`, in whole seconds; undefined when neither. */
function retryAfterSecondsOf(headers: Headers, details: Record<string, unknown> | undefined): number | undefined {
  const fromHeader = parseRetryAfter(headers.get("retry-after"));
  const fromBody = details?.retryAfterSeconds;
  const candidates = [
    fromHeader === null ? null : Math.ceil(fromHeader / 1000),
    typeof fromBody === "number" && Number.isFinite(fromBody) && fromBody >= 0 ? Math.ceil(fromBody) : null,
  ].filter((n): n is number => n !== null);
  return candidates.length > 0 ? Math.max(...candidates) : undefined;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${(cause as { code?: string }).code ?? cause.message}` : "";
    if (err.name === "TimeoutError" || err.name === "AbortError") return "request timed out";
    return `${err.message}${causeText}`;
  }
  return String(err);
}

export function createHttp(opts: HttpOptions) {
  const base = opts.baseUrl.replace(/\/+$/, "");

  async function request<T>(spec: RequestSpec): Promise<HttpResponse<T>> {
    let lastError: LicenseError | null = null;
    for (let attempt = 0; attempt <= opts.maxRetries; attempt++) {
      const started = performance.now();
      let response: Response;
      let text: string;
      try {
        const headers: Record<string, string> = {
          accept: "application/json",
          "user-agent": opts.userAgent,
          ...spec.headers,
        };
        const init: RequestInit = { method: spec.method, headers, signal: AbortSignal.timeout(opts.timeoutMs) };
        if (spec.body !== undefined) {
          headers["content-type"] = "application/json";
          init.body = JSON.stringify(spec.body);
        }
        response = await opts.fetch(`${base}${spec.path}`, init);
        text = await response.text();
      } catch (err) {
        const reason = describeError(err);
        opts.onAttempt?.({
          method: spec.method,
          path: spec.path,
          attempt,
          status: null,
          code: CLIENT_CODES.SERVER_UNREACHABLE,
          durationMs: performance.now() - started,
          error: reason,
        });
        lastError = new UnreachableError(CLIENT_CODES.SERVER_UNREACHABLE, `License server unreachable: ${reason}`, {
          retryable: true,
          cause: err,
        });
        // Without idempotency the server may already have acted: do not repeat.
        if (!spec.idempotent || attempt === opts.maxRetries) throw lastError;
        await opts.sleep(backoffDelay(attempt, opts));
        continue;
      }

      let body: unknown = null;
      let parsed = true;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          parsed = false;
        }
      }
      const apiError = errorFromBody(body);
      opts.onAttempt?.({
        method: spec.method,
        path: spec.path,
        attempt,
        status: response.status,
        code: apiError?.code ?? (response.ok ? null : `HTTP_${response.status}`),
        durationMs: performance.now() - started,
      });

      if (response.ok) {
        if (!parsed) {
          throw new HttpError(CLIENT_CODES.BAD_RESPONSE, `Server answered ${spec.path} with non-JSON`, {
            status: response.status,
          });
        }
        const dateHeader = response.headers.get("date");
        const serverMs = dateHeader ? Date.parse(dateHeader) : Number.NaN;
        return {
          status: response.status,
          body: body as T,
          headers: response.headers,
          serverDate: Number.isFinite(serverMs) ? new Date(serverMs) : null,
        };
      }

      const code = apiError?.code ?? (response.status >= 500 ? "UNAVAILABLE" : `HTTP_${response.status}`);
      const message = apiError?.message ?? `Server answered HTTP ${response.status}`;
      if (RETRYABLE_STATUS.has(response.status) || response.status >= 500) {
        lastError = new UnreachableError(
          response.status === 429 ? code : CLIENT_CODES.SERVER_UNREACHABLE,
          `License server unavailable (HTTP ${response.status} ${code}): ${message}`,
          { status: response.status, retryable: true },
        );
        // 500 may have acted (a bug), only 429/502/503/504 are known to be refusals.
        const safeToRepeat = RETRYABLE_STATUS.has(response.status) || spec.idempotent;
        if (!safeToRepeat || attempt === opts.maxRetries) throw lastError;
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
        const delay = retryAfter !== null ? Math.min(retryAfter, opts.maxRetryAfterMs) : backoffDelay(attempt, opts);
        await opts.sleep(delay);
        continue;
      }
      if (!parsed || !apiError) {
        // The contract's errors are JSON; an HTML page (a proxy, a wrong URL) is not the server speaking.
        throw new HttpError(
          CLIENT_CODES.BAD_RESPONSE,
          `Server answered ${spec.path} with HTTP ${response.status} and ${parsed ? "no error member" : "non-JSON"}`,
          { status: response.status },
        );
      }
      const retryAfterSeconds = retryAfterSecondsOf(response.headers, apiError?.details);
      throw new HttpError(code, message, {
        status: response.status,
        ...(apiError?.details ? { details: apiError.details } : {}),
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    // Unreachable: the loop either returns or throws.
    throw lastError ?? new UnreachableError(CLIENT_CODES.SERVER_UNREACHABLE, "License server unreachable");
  }

  return { request };
}

export type Http = ReturnType<typeof createHttp>;

/** For an installation with no server URL (air-gapped): every request fails at once, unretried. */
export function createNoServerHttp(): Http {
  return {
    async request<T>(spec: RequestSpec): Promise<HttpResponse<T>> {
      throw new UnreachableError(
        CLIENT_CODES.SERVER_UNREACHABLE,
        `No license server is configured (air-gapped installation), so ${spec.method} ${spec.path} cannot be sent: set serverUrl, or import a license file`,
      );
    },
  };
}
