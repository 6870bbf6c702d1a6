/**
 * Error raised by the client for limits, refused requests and an unreachable server. `code` is a
 * stable machine-readable string: either a code from the server's `{"error":{"code"}}` body
 * (e.g. `USAGE_LIMIT_EXCEEDED`, `ACTIVATION_LIMIT_REACHED`) or one of the client's own codes
 * (see `CLIENT_CODES`).
 */
export class LicenseError extends Error {
  readonly code: string;
  /** HTTP status of the server's answer, when there was one. */
  readonly status: number | undefined;
  /** True when trying again later may succeed (server unreachable, rate limited). */
  readonly retryable: boolean;
  /** The server's `error.details`, when it sent any (e.g. `nextSlotFreesAt`, `swapsLeft`). */
  readonly details: Record<string, unknown> | undefined;
  /** Seconds the server asked to wait (`Retry-After` or `details.retryAfterSeconds`), when it did. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: string,
    message: string,
    options: {
      status?: number;
      retryable?: boolean;
      cause?: unknown;
      details?: Record<string, unknown>;
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LicenseError";
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Codes the client produces itself (the server's codes pass through unchanged). */
export const CLIENT_CODES = {
  /** Server unreachable; answered from the cached certificate, inside the grace period. */
  OFFLINE_VALID: "OFFLINE_VALID",
  /** Server unreachable for longer than `graceDays` since the newest certificate's signed `iat`. */
  OFFLINE_GRACE_EXPIRED: "OFFLINE_GRACE_EXPIRED",
  /** Server unreachable and the cached certificate's `exp` has passed. */
  CERTIFICATE_EXPIRED: "CERTIFICATE_EXPIRED",
  /** Certificate signature does not verify, its `kid` is not trusted, or its claims don't match. */
  CERTIFICATE_INVALID: "CERTIFICATE_INVALID",
  /** Server said the license is valid but sent no certificate. */
  CERTIFICATE_MISSING: "CERTIFICATE_MISSING",
  /** Server unreachable and there is no usable cache. */
  NO_CACHE: "NO_CACHE",
  /** `license.json` could not be decrypted/authenticated (tampered, copied, another key or instance). */
  CACHE_INVALID: "CACHE_INVALID",
  /**
   * The local clock is earlier than the newest signed certificate `iat` seen, or (air-gapped) than
   * the newest local time seen while answering from the license file, beyond the allowed skew.
   */
  CLOCK_ROLLBACK: "CLOCK_ROLLBACK",
  /** The server says the license is fine but this installation is not activated (same code as the server's). */
  INSTANCE_NOT_ACTIVATED: "INSTANCE_NOT_ACTIVATED",
  /** This installation was deactivated with `deactivate()`; call `activate()` again. */
  DEACTIVATED: "DEACTIVATED",
  /** Network error, timeout, 5xx or 429 after all retries, or no `serverUrl` configured (thrown by calls that need the server). */
  SERVER_UNREACHABLE: "SERVER_UNREACHABLE",
  /** The server answered something that is not the contract's JSON. */
  BAD_RESPONSE: "BAD_RESPONSE",
  /** Limits checked by `assertWithinLimits` (same codes as the server). */
  CLIENT_LIMIT_EXCEEDED: "CLIENT_LIMIT_EXCEEDED",
  USAGE_LIMIT_EXCEEDED: "USAGE_LIMIT_EXCEEDED",
  /** Air-gapped (docs/AIR-GAPPED.md): answered from the imported license file, no server involved. */
  LICENSE_FILE_VALID: "LICENSE_FILE_VALID",
  /** Air-gapped: the imported license file's `exp` has passed; import a renewed file. */
  LICENSE_FILE_EXPIRED: "LICENSE_FILE_EXPIRED",
  /**
   * Air-gapped: a license file was refused by one of the import rules (the message names the rule),
   * or the imported one no longer verifies. Whatever was imported before is kept.
   */
  LICENSE_FILE_INVALID: "LICENSE_FILE_INVALID",
  /** Air-gapped: `deactivateOffline()` with no imported license file. */
  NO_LICENSE_FILE: "NO_LICENSE_FILE",
  /** Air-gapped: warning code on every answer made from the license file. */
  AIR_GAPPED: "AIR_GAPPED",
  /** A bad argument (`recordTickets(-1)`). */
  INVALID_INPUT: "INVALID_INPUT",
  /** Unexpected internal failure (never thrown from validateLicense/checkFeatureAccess). */
  CLIENT_ERROR: "CLIENT_ERROR",
} as const;

export type ClientCode = (typeof CLIENT_CODES)[keyof typeof CLIENT_CODES];
