/**
 * TicketZero license client for installations. Self-contained: node built-ins and `jose` only.
 * See docs/INTEGRATION.md.
 */
export { CACHE_FILE, INSTANCE_FILE } from "./cache";
export { proveKeys, verifyCertificate } from "./certificate";
export {
  contractCode,
  createLicenseClient,
  type LicenseClient,
  type LicenseClientOptions,
  statusIndicator,
} from "./client";
export { CLIENT_CODES, type ClientCode, LicenseError } from "./errors";
export { FEATURE_NAMES, normaliseFeature } from "./features";
export type { AttemptEvent, FetchLike, SleepFn } from "./http";
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
} from "./types";
export { VENDOR_JWKS } from "./vendor-keys";
