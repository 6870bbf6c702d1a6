/**
 * TicketZero license client for installations. Self-contained: node built-ins and `jose`
 * (bundled into the published build, so the package has no runtime dependencies).
 * See docs/INTEGRATION.md.
 */
export {
  buildDeactivationCode,
  checkLicenseFile,
  DEACTIVATION_CODE_PREFIX,
  INSTANCE_KEY_FILE,
  LICENSE_FILE_JWT_TYPE,
  LICENSE_FILE_TYPE,
  PROOF_KDF_ITERATIONS,
  PROOF_SALT_PREFIX,
  REQUEST_TYPE,
  requestProof,
} from "./airgap.js";
export { CACHE_FILE, INSTANCE_FILE, type LocalUsage } from "./cache.js";
export { proveKeys, verifyCertificate } from "./certificate.js";
export {
  contractCode,
  createLicenseClient,
  type LicenseClient,
  type LicenseClientOptions,
  statusIndicator,
} from "./client.js";
export { CLIENT_CODES, type ClientCode, LicenseError } from "./errors.js";
export { FEATURE_NAMES, normaliseFeature, planName } from "./features.js";
export type { AttemptEvent, FetchLike, SleepFn } from "./http.js";
export { keyPrefix, maskKey, normaliseKey } from "./keys.js";
export type {
  ActivationInfo,
  ActivationRequestResult,
  ActivationResult,
  CertificateClaims,
  ClientLicenseStatus,
  FeatureRef,
  JsonWebKeySet,
  LicenseStatusBody,
  LicenseSummary,
  OfflineDeactivation,
  ReplacementInfo,
  SlotsInfo,
  StatusWarning,
  UsageLimits,
  UsageReport,
  UsageSnapshot,
  ValidationResult,
} from "./types.js";
export { VENDOR_JWKS } from "./vendor-keys.js";
export { CLIENT_ID, CLIENT_VERSION } from "./version.js";
