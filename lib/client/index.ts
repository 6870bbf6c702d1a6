/**
 * TicketZero license client for installations. Self-contained: node built-ins and `jose` only.
 * See docs/INTEGRATION.md.
 */
export { CACHE_FILE, INSTANCE_FILE, KEY_FILE } from "./cache";
export { verifyCertificate } from "./certificate";
export { createLicenseClient, type LicenseClient, type LicenseClientOptions } from "./client";
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
  StatusWarning,
  UsageLimits,
  UsageReport,
  UsageSnapshot,
  ValidationResult,
} from "./types";
