/**
 * Wire types of the TicketZero license server (PRODUCT.md "HTTP contract"), restated here so the
 * client library stays self-contained and publishable on its own.
 */

export type UsageLimits = {
  maxClients: number;
  maxTicketsPerMonth: number;
  maxActivations: number;
};

export type FeatureRef = { key: string; name: string };

export type StatusWarning = { code: string; message: string };

export type LicenseSummary = {
  key: string;
  plan: string;
  planName: string;
  issuedAt: string;
  expiresAt: string;
  daysRemaining: number;
};

export type UsageSnapshot = {
  period: string;
  ticketsThisMonth: number;
  clients: number;
  activations: number;
};

export type ActivationInfo = { instanceId: string; activatedAt: string };

/** The body of `GET /api/license-status`. */
export type LicenseStatusBody = {
  valid: boolean;
  code: string;
  status: "valid" | "expiring_soon" | "trial" | "expired" | "invalid" | (string & {});
  message: string;
  license: LicenseSummary | null;
  limits: UsageLimits | null;
  usage: UsageSnapshot | null;
  features: FeatureRef[];
  warnings: StatusWarning[];
  upgrade: { plan: string; reason: string } | null;
  /** `undefined` when the server did not say; `null` when it said "not activated". */
  activation?: ActivationInfo | null;
  certificate: string | null;
};

/**
 * What `getLicenseStatus()` returns: the server's body when it answered, or one derived from the
 * cached certificate with `offline: true` when it could not be reached.
 */
export type ClientLicenseStatus = LicenseStatusBody & {
  offline?: boolean;
  /** Offline only: when the server was last reached (ISO). */
  lastServerContact?: string | null;
  /** Offline only: when offline operation stops being accepted (ISO). */
  offlineValidUntil?: string | null;
};

export type ValidationResult = { valid: boolean; message: string; code: string };

export type UsageReport = { usage: UsageSnapshot | null; remaining: number | null };

export type ActivationResult = {
  activation: ActivationInfo | null;
  license: LicenseStatusBody | null;
};

/** A JSON Web Key Set as served by `GET /api/public-key`. */
export type JsonWebKeySet = { keys: Array<Record<string, unknown>> };

/** Claims of the Ed25519-signed license certificate, normalised. */
export type CertificateClaims = {
  licenseId: string | null;
  plan: string | null;
  features: string[];
  limits: UsageLimits | null;
  instanceId: string | null;
  issuedAt: Date | null;
  expiresAt: Date;
  kid: string | null;
  raw: Record<string, unknown>;
};
