/**
 * TicketZero license client for installations. Self-contained: node built-ins and `jose`
 * (bundled into the published build, so the package has no runtime dependencies).
 * See docs/INTEGRATION.md.
 */
export { CACHE_FILE, INSTANCE_FILE } from "./cache.js";
export { proveKeys, verifyCertificate } from "./certificate.js";
export {
  contractCode,
  createLicenseClient,
  type LicenseClient,
  type LicenseClientOptions,
  statusIndicator,
} from "./client.js";
export { CLIENT_CODES, type ClientCode, LicenseError } from "./errors.js";
export { FEATURE_NAMES, normaliseFeature } from "./features.js";
export type { AttemptEvent, FetchLike, SleepFn } from "./http.js";
export type {
  ActivationInfo,
  ActivationResult,
  CertificateClaims,
  ClientLicenseStatus,
  FeatureRef,
  JsonWebKeySet,
  LicenseStatusBody,
  LicenseSummary,
  ReplacementInfo,
  SlotsInfo,
  StatusWarning,
  UsageLimits,
  UsageReport,
  UsageSnapshot,
  ValidationResult,
} from "./types.js";
export { VENDOR_JWKS } from "./vendor-keys.js";
