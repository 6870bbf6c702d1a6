/** Every refusal has a stable code and an HTTP status (PRODUCT.md "HTTP contract"). */
export const ERROR_STATUS = {
  INVALID_JSON: 400,
  VALIDATION_FAILED: 400,
  INVALID_FORMAT: 400,
  /** The Stripe webhook's signature (stripe/webhook.ts). */
  INVALID_SIGNATURE: 400,
  // An outbound webhook URL the SSRF policy refuses (docs/VENDOR-API.md §3)
  WEBHOOK_URL_REFUSED: 400,
  // Air-gapped activation (docs/AIR-GAPPED.md)
  INVALID_REQUEST_FILE: 400,
  REQUEST_EXPIRED: 400,
  INVALID_DEACTIVATION_CODE: 400,
  REQUEST_FOR_OTHER_LICENSE: 403,
  INSTANCE_KEY_MISMATCH: 409,
  REQUEST_ALREADY_USED: 409,
  INSTANCE_ACTIVE_ONLINE: 409,
  INSTANCE_AIR_GAPPED: 409,
  DEACTIVATION_CODE_STALE: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_ORIGIN: 403,
  LICENSE_EXPIRED: 403,
  LICENSE_SUSPENDED: 403,
  LICENSE_REVOKED: 403,
  LICENSE_SUPERSEDED: 403,
  LICENSE_OWNED_BY_ANOTHER_ACCOUNT: 403,
  LICENSE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  INSTANCE_NOT_ACTIVATED: 404,
  METHOD_NOT_ALLOWED: 405,
  ACTIVATION_LIMIT_REACHED: 409,
  TRIAL_ALREADY_USED: 409,
  USAGE_LIMIT_EXCEEDED: 409,
  CLIENT_LIMIT_EXCEEDED: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A brand, not a class identity: recognised whichever copy of this module created the error. */
const BRAND = Symbol.for("ticketzero.LicenseError");

export class LicenseError extends Error {
  readonly status: number;
  readonly [BRAND] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { retryAfterSeconds?: number; details?: unknown } = {},
  ) {
    super(message);
    this.name = "LicenseError";
    this.status = ERROR_STATUS[code];
  }
}

export const isLicenseError = (error: unknown): error is LicenseError =>
  typeof error === "object" && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true;
