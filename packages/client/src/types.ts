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

/** `clients`: what this installation last reported (contract of issue 8; absent on older servers). */
export type ActivationInfo = { instanceId: string; activatedAt: string; clients?: number };

/** Activation slots of the license (`slots` in the status body; absent on older servers). */
export type SlotsInfo = {
  used: number;
  max: number;
  held: number;
  nextFreesAt: string | null;
  swapsLeft: number;
  swapsPer30Days: number;
};

/** For a superseded key: its replacement (masked) and when the grace period ends. */
export type ReplacementInfo = { key: string; plan: string; planName: string; graceEndsAt: string };

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
  slots?: SlotsInfo | null;
  replacement?: ReplacementInfo | null;
  /** Present only for an activated installation of a valid license. */
  certificate?: string | null;
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
  /** Answered from an imported license file (air-gapped, docs/AIR-GAPPED.md), not from the server. */
  airGapped?: boolean;
};

/** What `writeActivationRequest()` wrote: the request file's content, and where (when a path was given). */
export type ActivationRequestResult = {
  path: string | null;
  content: string;
  request: {
    v: 1;
    /** The key's first two groups (`TZ-PRO`): no random character of the key. */
    keyPrefix: string;
    instanceId: string;
    instanceName: string;
    publicKey: string;
    nonce: string;
    createdAt: string;
    client: string;
  };
};

/** What `deactivateOffline()` returns: the code the account admin enters in the portal, and what it says. */
export type OfflineDeactivation = {
  code: string;
  /** `nonce`: the client's `offlineRequestNonce` when it deactivated (a renewal uploaded, not imported yet). */
  payload: { v: 1; lid: string; instanceId: string; jti: string; nonce: string; deactivatedAt: string };
};

export type ValidationResult = { valid: boolean; message: string; code: string };

export type UsageReport = { usage: UsageSnapshot | null; remaining: number | null };

export type ActivationResult = {
  activation: ActivationInfo | null;
  license: LicenseStatusBody | null;
};

/**
 * A JSON Web Key Set as served by `GET /api/public-key` (which also sends `keySetTokens`: the
 * key set signed by each of its keys, for rotation).
 */
export type JsonWebKeySet = { keys: Array<Record<string, unknown>>; keySetTokens?: string[] };

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
