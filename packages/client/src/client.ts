import fs from "node:fs";
import os from "node:os";
import { decodeJwt } from "jose";
import {
  buildActivationRequest,
  buildDeactivationCode,
  checkLicenseFile,
  type InstanceKey,
  type LicenseFileBinding,
  type LicenseFileClaims,
  loadOrCreateInstanceKey,
  readInstancePublicKey,
  writeRequestFile,
} from "./airgap.js";
import { type CacheData, type CacheLoad, CacheStore, hashKey, resolveInstanceId } from "./cache.js";
import {
  type CertificateCheck,
  isUnknownKid,
  keySetTokensOf,
  proveKeys,
  sanitiseJwks,
  verifyCertificate,
} from "./certificate.js";
import { CLIENT_CODES, LicenseError } from "./errors.js";
import { featureName, hasFeature, planName } from "./features.js";
import {
  type AttemptEvent,
  createHttp,
  createNoServerHttp,
  type FetchLike,
  HttpError,
  type SleepFn,
  UnreachableError,
} from "./http.js";
import { maskKey } from "./keys.js";
import type {
  ActivationRequestResult,
  ActivationResult,
  CertificateClaims,
  ClientLicenseStatus,
  FeatureRef,
  JsonWebKeySet,
  LicenseStatusBody,
  OfflineDeactivation,
  UsageLimits,
  UsageReport,
  ValidationResult,
} from "./types.js";
import { VENDOR_JWKS } from "./vendor-keys.js";
import { CLIENT_ID } from "./version.js";

export type LicenseClientOptions = {
  /**
   * Base URL of the license server, e.g. `https://licenses.ticketzero.ai`. Optional: an
   * air-gapped installation has none (it answers from an imported license file; calls that need
   * the server fail at once as SERVER_UNREACHABLE).
   */
  serverUrl?: string;
  /** The license key (`TZ-PRO-XXXX-…`). Sent as `Authorization: Bearer <key>`. */
  licenseKey: string;
  /** Stable id of this installation; default: read from / generated into `dataDir/instance-id`. */
  instanceId?: string;
  /** Human-readable name shown to the account admin. Default: the host name. */
  instanceName?: string;
  /** Directory for `instance-id` and `license.json` (the encrypted cache). */
  dataDir: string;
  /**
   * The trust anchor: the vendor's signing keys (JWKS). Replaces the keys shipped in
   * `packages/client/src/vendor-keys.ts`. Newer keys are learned only from a key set signed by a key
   * already trusted (`keySetTokens` of `GET /api/public-key`).
   */
  jwks?: JsonWebKeySet;
  /** Alias of `jwks`. */
  publicKeys?: JsonWebKeySet;
  /**
   * Development only: with no anchor (no `jwks`, no shipped keys), trust the key set the server
   * publishes at first contact and pin it in the cache. Refused (TypeError) when
   * NODE_ENV=production. Whoever can write the cache can replace a TOFU pin: it is not
   * tamper-proof.
   */
  trustOnFirstUse?: boolean;
  /**
   * Optional extra secret mixed into the cache key (HKDF input), e.g. read from the OS keyring,
   * a TPM or a secrets manager. Without it the key derives from the license key and instance id.
   */
  cacheSecret?: string | Buffer;
  fetch?: FetchLike;
  now?: () => Date;
  sleep?: SleepFn;
  random?: () => number;
  /** Days an installation keeps working without reaching the server. Default 7. */
  graceDays?: number;
  /** Per-attempt timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt on network errors, 429 and 503. Default 3. */
  maxRetries?: number;
  /** First backoff delay (doubles each retry, with jitter). Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Cap on backoff delays. Default 8 000 ms. */
  retryMaxDelayMs?: number;
  /** Cap on a server's `Retry-After`. Default 30 000 ms. */
  maxRetryAfterMs?: number;
  /** Allowed clock skew for the roll-back check and certificate times. Default 5 minutes. */
  clockSkewMs?: number;
  /** How long `checkFeatureAccess`/`getUsageLimits`/`assertWithinLimits` reuse the last answer. Default 60 s. */
  cacheTtlMs?: number;
  /** Activate automatically on first use. Default true. */
  autoActivate?: boolean;
  /** Refuse a "valid" answer without a certificate. Default true. */
  requireCertificate?: boolean;
  /** Observer of every HTTP attempt (latency, status, code). */
  onRequest?: (event: AttemptEvent) => void;
};

export type LicenseClient = {
  readonly instanceId: string;
  readonly dataDir: string;
  /** `{ valid, message, code }`; never throws. */
  validateLicense(): Promise<ValidationResult>;
  /** Whether the license grants a feature (key or display name, case-insensitive); never throws. */
  checkFeatureAccess(nameOrKey: string): Promise<boolean>;
  /** Limits of a valid license; zeros when the license is not valid. Never throws. */
  getUsageLimits(): Promise<UsageLimits>;
  /** The server's status body, or one derived from the cache with `offline: true`. Never throws. */
  getLicenseStatus(): Promise<ClientLicenseStatus>;
  /** Reserves `tickets` (and reports `clients`) with the server. Throws `LicenseError`. */
  recordTickets(tickets: number, clients?: number): Promise<UsageReport>;
  /** Throws `LicenseError` when the license is invalid or a count is over its limit. */
  assertWithinLimits(counts: { clients?: number; tickets?: number }): Promise<UsageLimits>;
  /** Activates this installation (idempotent). Throws `LicenseError`. */
  activate(): Promise<ActivationResult>;
  /** Frees this installation's activation slot and forgets the certificate. Throws `LicenseError`. */
  deactivate(): Promise<unknown>;
  /**
   * Air-gapped (docs/AIR-GAPPED.md): writes a new activation request, to `path` when given, and
   * remembers its nonce (only a license file answering the newest request imports). Creates the
   * instance key on first use. The file is written first: when it cannot be, the fs error is
   * thrown and nothing changed (the pending nonce is the one before).
   */
  writeActivationRequest(path?: string): Promise<ActivationRequestResult>;
  /**
   * Air-gapped: imports a license file (its path, or its JSON text). Throws `LicenseError`
   * LICENSE_FILE_INVALID naming the import rule that failed, and keeps what it had. From then on
   * the client answers from the file, with no network call, until the file's `exp`.
   */
  importLicenseFile(pathOrJson: string): Promise<ClientLicenseStatus>;
  /**
   * Air-gapped: deletes the license file and the pending request, and returns the signed
   * deactivation code for the account admin. Throws `LicenseError` NO_LICENSE_FILE without one.
   */
  deactivateOffline(): Promise<OfflineDeactivation>;
};

type State = {
  at: number;
  result: ValidationResult;
  status: ClientLicenseStatus;
  features: FeatureRef[];
  limits: UsageLimits | null;
  online: boolean;
};

const DAY = 86_400_000;
/** The local high-water mark is written at most this often (each write is a cache save). */
const HIGH_WATER_STEP_MS = 60_000;
const ZERO_LIMITS: UsageLimits = { maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 };
/** Wait after ACTIVATION_LIMIT_REACHED when the server names no time (older servers). */
const DEFAULT_ACTIVATION_RETRY_SECONDS = 300;

/** Codes of servers before issue 8, mapped to the contract's names. */
const LEGACY_CODES: Readonly<Record<string, string>> = {
  EXPIRED: "LICENSE_EXPIRED",
  SUPERSEDED: "LICENSE_SUPERSEDED",
  SUSPENDED: "LICENSE_SUSPENDED",
  REVOKED: "LICENSE_REVOKED",
  NOT_FOUND: "LICENSE_NOT_FOUND",
  NOT_ACTIVATED: "INSTANCE_NOT_ACTIVATED",
};
export function contractCode(code: string): string {
  return LEGACY_CODES[code] ?? code;
}

const VALID_INDICATORS = new Set(["valid", "expiring_soon", "trial"]);
/** Not valid because time ran out: status `expired`; every other refusal is `invalid`. */
const EXPIRED_CODES = new Set([
  "LICENSE_EXPIRED",
  "LICENSE_SUPERSEDED",
  CLIENT_CODES.OFFLINE_GRACE_EXPIRED,
  CLIENT_CODES.CERTIFICATE_EXPIRED,
  CLIENT_CODES.LICENSE_FILE_EXPIRED,
]);

/** The `status` indicator that agrees with `valid` and `code` (contract of issue 8). */
export function statusIndicator(
  valid: boolean,
  code: string,
  hint: { given?: string | null; plan?: string | null; daysRemaining?: number | null } = {},
): string {
  if (!valid) return EXPIRED_CODES.has(code) ? "expired" : "invalid";
  if (code === "SUPERSEDED_GRACE" || code === "EXPIRING_SOON") return "expiring_soon";
  if (code === "TRIAL") return "trial";
  if (code === "VALID") return "valid";
  if (hint.given && VALID_INDICATORS.has(hint.given)) return hint.given;
  if (hint.plan === "trial") return "trial";
  return hint.daysRemaining != null && hint.daysRemaining <= 30 ? "expiring_soon" : "valid";
}

function emptyStatus(result: ValidationResult): ClientLicenseStatus {
  return {
    valid: result.valid,
    code: result.code,
    status: statusIndicator(result.valid, result.code),
    message: result.message,
    license: null,
    limits: null,
    usage: null,
    features: [],
    warnings: [],
    upgrade: null,
    activation: null,
    certificate: null,
  };
}

function isStatusBody(value: unknown): value is LicenseStatusBody {
  return (
    !!value &&
    typeof value === "object" &&
    typeof (value as { valid?: unknown }).valid === "boolean" &&
    typeof (value as { code?: unknown }).code === "string"
  );
}

function hostName(): string {
  try {
    return os.hostname() || "installation";
  } catch {
    return "installation";
  }
}

export function createLicenseClient(options: LicenseClientOptions): LicenseClient {
  if (!options || typeof options !== "object") throw new TypeError("createLicenseClient: options are required");
  if (
    options.serverUrl !== undefined &&
    (typeof options.serverUrl !== "string" || !/^https?:\/\//.test(options.serverUrl))
  ) {
    throw new TypeError(
      "createLicenseClient: serverUrl must be an http(s) URL (or absent, for an air-gapped installation)",
    );
  }
  if (typeof options.licenseKey !== "string" || options.licenseKey.trim() === "") {
    throw new TypeError("createLicenseClient: licenseKey is required");
  }
  if (typeof options.dataDir !== "string" || options.dataDir === "") {
    throw new TypeError("createLicenseClient: dataDir is required");
  }

  const serverUrl = options.serverUrl === undefined ? null : options.serverUrl.replace(/\/+$/, "");
  const licenseKey = options.licenseKey.trim().toUpperCase();
  const keyHash = hashKey(licenseKey);
  const dataDir = options.dataDir;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const instanceId = resolveInstanceId(dataDir, options.instanceId);
  // Trimmed; empty (or not given), the host name (docs/AIR-GAPPED.md "Writing the request").
  const instanceName = options.instanceName?.trim() || hostName();
  const store = new CacheStore(dataDir, { licenseKey, instanceId, secret: options.cacheSecret ?? null });
  const now = options.now ?? (() => new Date());
  const graceMs = (options.graceDays ?? 7) * DAY;
  const skewMs = options.clockSkewMs ?? 5 * 60_000;
  const ttlMs = options.cacheTtlMs ?? 60_000;
  const autoActivate = options.autoActivate ?? true;
  const requireCertificate = options.requireCertificate ?? true;
  const configured = options.jwks ?? options.publicKeys ?? null;
  const configuredJwks = sanitiseJwks(configured);
  if (configured && !configuredJwks) {
    throw new TypeError("createLicenseClient: jwks must contain at least one Ed25519 (OKP) key");
  }
  const tofu = options.trustOnFirstUse === true;
  if (tofu && process.env.NODE_ENV === "production") {
    throw new TypeError(
      "createLicenseClient: trustOnFirstUse is refused when NODE_ENV=production; pass the vendor's keys as jwks (or ship packages/client/src/vendor-keys.ts)",
    );
  }
  /** The trust anchors: the configured key set, else the shipped one. Never the cache. */
  const anchors: JsonWebKeySet | null = configuredJwks ?? sanitiseJwks(VENDOR_JWKS);
  if (!anchors && !tofu) {
    throw new TypeError(
      "createLicenseClient: no trust anchor for license certificates: pass jwks (the vendor's JWKS, obtained over a channel you trust), ship packages/client/src/vendor-keys.ts (npm run client:pin-keys), or choose trustOnFirstUse: true (development only)",
    );
  }

  const http =
    serverUrl === null
      ? createNoServerHttp()
      : createHttp({
          baseUrl: serverUrl,
          fetch: options.fetch ?? ((input, init) => fetch(input, init)),
          sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
          random: options.random ?? Math.random,
          timeoutMs: options.timeoutMs ?? 10_000,
          maxRetries: options.maxRetries ?? 3,
          baseDelayMs: options.retryBaseDelayMs ?? 500,
          maxDelayMs: options.retryMaxDelayMs ?? 8_000,
          maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
          userAgent: CLIENT_ID,
          onAttempt: options.onRequest,
        });

  const authHeaders = (): Record<string, string> => ({
    authorization: `Bearer ${licenseKey}`,
    "x-instance-id": instanceId,
  });

  let state: State | null = null;
  /** Clients this installation last reported (for servers whose status omits `activation.clients`). */
  let reportedClients: number | null = null;
  let inFlight: Promise<State> | null = null;

  // ---------------------------------------------------------------- cache helpers

  function freshCache(): CacheData {
    return {
      v: 2,
      serverUrl: serverUrl ?? "",
      keyHash,
      instanceId,
      activated: false,
      deactivated: false,
      status: null,
      certificate: null,
      keySetTokens: [],
      tofuJwks: null,
      signedHighWater: null,
      activationRetryAt: null,
      activationRefusal: null,
    };
  }

  /** The cache when it belongs to this key and instance (the store checks both); otherwise null. */
  function matching(load: CacheLoad): CacheData | null {
    if (load.kind !== "ok") return null;
    const d = load.data;
    return d.keyHash === keyHash && d.instanceId === instanceId ? d : null;
  }

  function workingCache(load: CacheLoad): CacheData {
    const m = matching(load);
    // The server URL may change (new host name, TLS); the signature is what counts.
    return m ? { ...freshCache(), ...m, serverUrl: serverUrl ?? m.serverUrl } : freshCache();
  }

  function save(cache: CacheData): string | null {
    try {
      store.save(cache);
      return null;
    } catch (err) {
      return `could not write the license cache: ${(err as Error).message}`;
    }
  }

  /**
   * Keys trusted for certificates: the anchors, plus keys proven by key-set tokens that chain
   * from them (re-verified on every call). With trust-on-first-use and no anchor: the pinned
   * set. Null when nothing is trusted yet (TOFU before first contact).
   */
  async function trustedKeys(cache: CacheData): Promise<JsonWebKeySet | null> {
    const base = anchors ?? (tofu ? cache.tofuJwks : null);
    if (!base || base.keys.length === 0) return null;
    return (await proveKeys(base, cache.keySetTokens)).jwks;
  }

  /** Fetches `GET /api/public-key` and keeps what the anchors prove (or pins it, TOFU). */
  async function learnKeys(cache: CacheData): Promise<JsonWebKeySet | null> {
    const res = await http.request<unknown>({ method: "GET", path: "/api/public-key", idempotent: true });
    const tokens = keySetTokensOf(res.body);
    if (!anchors && tofu && !cache.tofuJwks) {
      const published = sanitiseJwks(res.body);
      if (!published) {
        throw new HttpError(CLIENT_CODES.CERTIFICATE_INVALID, "The server published no Ed25519 signing key", {
          status: res.status,
        });
      }
      cache.tofuJwks = published; // trust on first use: explicitly chosen
    }
    const base = anchors ?? cache.tofuJwks;
    if (!base) return null;
    const proven = await proveKeys(base, [...cache.keySetTokens, ...tokens]);
    cache.keySetTokens = proven.proofs;
    return proven.jwks;
  }

  function activationWait(cache: CacheData, at: Date): Date | null {
    if (cache.activated || !cache.activationRetryAt) return null;
    const retryAt = Date.parse(cache.activationRetryAt);
    return Number.isFinite(retryAt) && at.getTime() < retryAt ? new Date(retryAt) : null;
  }

  /** Records a refused activation: no automatic attempt before the server's time. */
  function rememberActivationRefusal(cache: CacheData, err: LicenseError, at: Date): void {
    const seconds = err.retryAfterSeconds ?? DEFAULT_ACTIVATION_RETRY_SECONDS;
    cache.activated = false;
    cache.activationRetryAt = new Date(at.getTime() + seconds * 1000).toISOString();
    cache.activationRefusal = { code: err.code, message: err.message };
  }

  // ---------------------------------------------------------------- requests

  async function postActivation(): Promise<{ body: ActivationResult; serverDate: Date | null }> {
    const res = await http.request<ActivationResult>({
      method: "POST",
      path: "/admin/activate-license",
      headers: authHeaders(),
      body: { licenseKey, instanceId, instanceName },
      idempotent: true, // same instanceId again is idempotent on the server
    });
    return { body: res.body, serverDate: res.serverDate };
  }

  async function getStatus(): Promise<{ body: unknown; serverDate: Date | null }> {
    const res = await http.request<unknown>({
      method: "GET",
      path: "/api/license-status",
      headers: authHeaders(),
      idempotent: true,
    });
    return { body: res.body, serverDate: res.serverDate };
  }

  // ---------------------------------------------------------------- state builders

  function namedFeatures(keys: string[], status: LicenseStatusBody | null): FeatureRef[] {
    const names = new Map((status?.features ?? []).map((f) => [f.key, f.name]));
    return keys.map((key) => ({ key, name: names.get(key) ?? featureName(key) }));
  }

  function makeState(
    result: ValidationResult,
    status: ClientLicenseStatus | null,
    extra: { features?: FeatureRef[]; limits?: UsageLimits | null; online: boolean },
  ): State {
    const given = status ?? emptyStatus(result);
    // One choke point: `valid`, `code` and `status` never contradict.
    const body: ClientLicenseStatus = {
      ...given,
      valid: result.valid,
      code: result.code,
      status: statusIndicator(result.valid, result.code, {
        given: given.status,
        plan: given.license?.plan ?? null,
        daysRemaining: given.license?.daysRemaining ?? null,
      }),
    };
    return {
      at: now().getTime(),
      result,
      status: body,
      features: result.valid ? (extra.features ?? body.features ?? []) : [],
      limits: result.valid ? (extra.limits ?? body.limits ?? null) : null,
      online: extra.online,
    };
  }

  function invalidFromServer(
    code: string,
    message: string,
    status: LicenseStatusBody | null,
    note: string | null,
  ): State {
    const result = { valid: false, code, message: note ? `${message} (${note})` : message };
    const body: ClientLicenseStatus = status
      ? { ...status, valid: false, code, message: result.message }
      : emptyStatus(result);
    return makeState(result, body, { online: true });
  }

  async function verifyWithLearning(token: string, cache: CacheData, serverDate: Date): Promise<CertificateCheck> {
    const opts = {
      currentDate: serverDate,
      expectedInstanceId: instanceId,
      clockToleranceSec: Math.round(skewMs / 1000),
    };
    let trusted = await trustedKeys(cache);
    let check: CertificateCheck | null = trusted ? await verifyCertificate(token, trusted, opts) : null;
    if (check === null || isUnknownKid(check)) {
      // A key we do not know yet: learn it only from a key set that a trusted key signed.
      try {
        trusted = await learnKeys(cache);
        if (trusted) check = await verifyCertificate(token, trusted, opts);
      } catch (err) {
        if (check === null) throw err;
      }
    }
    return check ?? { ok: false, reason: "invalid", message: "no trusted signing keys available" };
  }

  async function acceptServerStatus(
    raw: unknown,
    serverDate: Date,
    cache: CacheData,
    cacheNote: string | null,
  ): Promise<State> {
    if (!isStatusBody(raw)) {
      return invalidFromServer(CLIENT_CODES.BAD_RESPONSE, "The server's status answer is malformed", null, cacheNote);
    }
    const status: LicenseStatusBody = { ...raw, code: contractCode(raw.code) };

    if (!status.valid) {
      // The server said no: forget the certificate so offline mode cannot resurrect it.
      cache.status = { ...status, certificate: null };
      cache.certificate = null;
      const note = save(cache) ?? cacheNote;
      return invalidFromServer(status.code, status.message, status, note);
    }
    if (status.activation === null) {
      cache.status = { ...status, certificate: null };
      cache.certificate = null;
      cache.activated = false;
      const note = save(cache) ?? cacheNote;
      return cache.deactivated
        ? invalidFromServer(
            CLIENT_CODES.DEACTIVATED,
            status.warnings?.find((w) => w.code === "INSTANCE_DEACTIVATED")?.message ??
              "This installation was deactivated; call activate() to use it again",
            status,
            note,
          )
        : invalidFromServer(
            CLIENT_CODES.INSTANCE_NOT_ACTIVATED,
            cache.activationRefusal
              ? `This installation is not activated: ${cache.activationRefusal.message}`
              : "This installation is not activated",
            status,
            note,
          );
    }
    if (!status.certificate) {
      if (requireCertificate) {
        const note = save(cache) ?? cacheNote;
        return invalidFromServer(
          CLIENT_CODES.CERTIFICATE_MISSING,
          "The server said the license is valid but sent no signed certificate",
          status,
          note,
        );
      }
      cache.status = status;
      const note = save(cache) ?? cacheNote;
      const result = { valid: true, code: status.code, message: note ? `${status.message} (${note})` : status.message };
      return makeState(result, status, { online: true, features: status.features, limits: status.limits });
    }
    const check = await verifyWithLearning(status.certificate, cache, serverDate);
    if (!check.ok) {
      // Do not replace a good cached certificate with a refused one.
      const note = save(cache) ?? cacheNote;
      return invalidFromServer(
        CLIENT_CODES.CERTIFICATE_INVALID,
        `The server's license certificate was refused: ${check.message}`,
        status,
        note,
      );
    }
    const claims = check.claims;
    cache.status = status;
    cache.certificate = status.certificate;
    cache.activated = true;
    cache.deactivated = false;
    cache.activationRetryAt = null;
    cache.activationRefusal = null;
    // The rollback mark only moves forward, and only with a signed time.
    if (claims.issuedAt) {
      const previous = cache.signedHighWater ? Date.parse(cache.signedHighWater) : Number.NaN;
      if (!Number.isFinite(previous) || claims.issuedAt.getTime() > previous) {
        cache.signedHighWater = claims.issuedAt.toISOString();
      }
    }
    const note = save(cache) ?? cacheNote;
    const features = claims.features.length > 0 ? namedFeatures(claims.features, status) : status.features;
    const result = { valid: true, code: status.code, message: note ? `${status.message} (${note})` : status.message };
    return makeState(result, status, { online: true, features, limits: claims.limits ?? status.limits });
  }

  function offlineStatus(
    result: ValidationResult,
    data: CacheData | null,
    claims: CertificateClaims | null,
    at: Date,
    validUntil: Date | null,
    signedContact: Date | null,
  ): ClientLicenseStatus {
    const cached = data?.status ?? null;
    const expiresAt = cached?.license?.expiresAt ?? claims?.expiresAt.toISOString() ?? null;
    const daysRemaining = expiresAt ? Math.max(0, Math.ceil((Date.parse(expiresAt) - at.getTime()) / DAY)) : 0;
    const license =
      cached?.license != null
        ? { ...cached.license, daysRemaining }
        : claims && expiresAt
          ? {
              key: "",
              plan: claims.plan ?? "unknown",
              planName: claims.plan ?? "unknown",
              issuedAt: claims.issuedAt?.toISOString() ?? "",
              expiresAt,
              daysRemaining,
            }
          : null;
    const plan = claims?.plan ?? cached?.license?.plan ?? null;
    const features = claims ? namedFeatures(claims.features, cached) : (cached?.features ?? []);
    return {
      valid: result.valid,
      code: result.code,
      status: statusIndicator(result.valid, result.code, {
        // A key in its upgrade grace stays "expiring_soon" offline, like online.
        given: cached?.code === "SUPERSEDED_GRACE" ? "expiring_soon" : null,
        plan,
        daysRemaining,
      }),
      message: result.message,
      license,
      limits: claims?.limits ?? cached?.limits ?? null,
      usage: cached?.usage ?? null,
      features,
      warnings: [...(cached?.warnings ?? []), { code: "OFFLINE", message: result.message }],
      upgrade: cached?.upgrade ?? null,
      activation: cached?.activation ?? null,
      ...(cached?.slots !== undefined ? { slots: cached.slots } : {}),
      ...(cached?.replacement !== undefined ? { replacement: cached.replacement } : {}),
      certificate: data?.certificate ?? null,
      offline: true,
      lastServerContact: signedContact?.toISOString() ?? null,
      offlineValidUntil: validUntil?.toISOString() ?? null,
    };
  }

  async function offlineState(load: CacheLoad, failure: LicenseError, at: Date): Promise<State> {
    const reason = failure.message;
    const invalid = (
      code: string,
      message: string,
      data: CacheData | null,
      claims: CertificateClaims | null,
      signedContact: Date | null = null,
    ) => {
      const result = { valid: false, code, message };
      return makeState(result, offlineStatus(result, data, claims, at, null, signedContact), { online: false });
    };
    if (load.kind === "invalid") {
      return invalid(
        CLIENT_CODES.CACHE_INVALID,
        `${reason}; the offline license cache is unusable: ${load.message}`,
        null,
        null,
      );
    }
    const data = matching(load);
    if (!data) {
      return invalid(
        CLIENT_CODES.NO_CACHE,
        `${reason}; there is no offline license cache (the server must be reached once)`,
        null,
        null,
      );
    }
    if (!data.certificate) {
      if (data.deactivated) {
        return invalid(CLIENT_CODES.DEACTIVATED, `${reason}; this installation was deactivated`, data, null);
      }
      if (data.activationRefusal) {
        return invalid(
          data.activationRefusal.code,
          `${reason}; the server's last answer was: ${data.activationRefusal.message}`,
          data,
          null,
        );
      }
      if (data.status && !data.status.valid) {
        return invalid(
          contractCode(data.status.code),
          `${reason}; the server's last answer was: ${data.status.message}`,
          data,
          null,
        );
      }
      return invalid(CLIENT_CODES.NO_CACHE, `${reason}; no license certificate is cached`, data, null);
    }
    // Only keys proven from the anchors verify the cached certificate; keys in the cache alone never do.
    const trusted = await trustedKeys(data);
    const check: CertificateCheck = trusted
      ? await verifyCertificate(data.certificate, trusted, { currentDate: at, expectedInstanceId: instanceId })
      : { ok: false, reason: "invalid", message: "no trusted signing keys available" };
    if (!check.ok && check.reason === "invalid") {
      return invalid(
        CLIENT_CODES.CERTIFICATE_INVALID,
        `${reason}; cached certificate refused: ${check.message}`,
        data,
        null,
      );
    }
    const claimsSeen = check.ok ? check.claims : check.claims;
    if (!claimsSeen.issuedAt) {
      return invalid(
        CLIENT_CODES.CERTIFICATE_INVALID,
        `${reason}; cached certificate refused: it carries no signed iat`,
        data,
        null,
      );
    }
    // Times compared: the signed iat of the certificate (and the newest signed iat seen), never local time.
    const signedIat = claimsSeen.issuedAt;
    const stored = data.signedHighWater ? Date.parse(data.signedHighWater) : Number.NaN;
    const highWater = Number.isFinite(stored) ? Math.max(stored, signedIat.getTime()) : signedIat.getTime();
    const since = `offline since ${signedIat.toISOString()}`;
    if (at.getTime() < highWater - skewMs) {
      return invalid(
        CLIENT_CODES.CLOCK_ROLLBACK,
        `${reason}; the system clock (${at.toISOString()}) is earlier than the last time seen (${new Date(highWater).toISOString()}, signed by the server): refusing offline operation until the server is reachable`,
        data,
        null,
        signedIat,
      );
    }
    if (!check.ok) {
      return invalid(
        CLIENT_CODES.CERTIFICATE_EXPIRED,
        `${reason}; ${since}; the license certificate expired at ${check.claims.expiresAt.toISOString()}`,
        data,
        check.claims,
        signedIat,
      );
    }
    const claims = check.claims;
    const graceEnd = new Date(signedIat.getTime() + graceMs);
    if (at.getTime() > graceEnd.getTime()) {
      return invalid(
        CLIENT_CODES.OFFLINE_GRACE_EXPIRED,
        `${reason}; ${since}; the offline grace period of ${graceMs / DAY} days ended ${graceEnd.toISOString()}`,
        data,
        claims,
        signedIat,
      );
    }
    const validUntil = claims.expiresAt.getTime() < graceEnd.getTime() ? claims.expiresAt : graceEnd;
    const hoursLeft = Math.floor((validUntil.getTime() - at.getTime()) / 3_600_000);
    const result = {
      valid: true,
      code: CLIENT_CODES.OFFLINE_VALID,
      message: `${reason}; working offline from the cached license certificate (${since}; valid offline until ${validUntil.toISOString()}, ${hoursLeft} h left)`,
    };
    // Nothing is written here: the local clock never raises the rollback mark.
    const features = namedFeatures(claims.features, data.status);
    return makeState(result, offlineStatus(result, data, claims, at, validUntil, signedIat), {
      online: false,
      features: claims.features.length > 0 ? features : (data.status?.features ?? []),
      limits: claims.limits ?? data.status?.limits ?? null,
    });
  }

  // ---------------------------------------------------------------- air-gapped: answers from the license file

  /** The instance key once read or created (air-gapped operation only). */
  let instanceKey: InstanceKey | null = null;
  function ensureInstanceKey(): InstanceKey {
    instanceKey ??= loadOrCreateInstanceKey(dataDir);
    return instanceKey;
  }

  function licenseFileBinding(cache: CacheData, at: Date): LicenseFileBinding {
    return {
      anchors: anchors ?? (tofu ? cache.tofuJwks : null),
      keySetTokens: cache.keySetTokens,
      instanceId,
      instancePublicKey: instanceKey?.publicKeyB64u ?? readInstancePublicKey(dataDir),
      expectedNonce: cache.offlineRequestNonce ?? null,
      now: at,
      skewMs,
    };
  }

  const isoMs = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

  function licenseFileStatus(
    result: ValidationResult,
    claims: LicenseFileClaims,
    cache: CacheData,
    at: Date,
  ): ClientLicenseStatus {
    const licenseEnd = claims.licenseExpiresAt ?? claims.expiresAt.toISOString();
    const daysRemaining = Math.max(0, Math.ceil((isoMs(licenseEnd) - at.getTime()) / DAY));
    const plan = claims.plan ?? "unknown";
    // expiring_soon: 30 days or fewer to the file's exp or to the license's own expiry.
    const endsFirst = Math.min(claims.expiresAt.getTime(), isoMs(licenseEnd) || Number.POSITIVE_INFINITY);
    const indicator = plan === "trial" ? "trial" : endsFirst - at.getTime() <= 30 * DAY ? "expiring_soon" : "valid";
    const period = at.toISOString().slice(0, 7);
    const local = cache.localUsage?.period === period ? cache.localUsage : null;
    const issuedAt = claims.issuedAt?.toISOString() ?? "";
    return {
      valid: result.valid,
      code: result.code,
      status: indicator,
      message: result.message,
      license: {
        key: maskKey(licenseKey),
        plan,
        planName: planName(plan),
        issuedAt,
        expiresAt: licenseEnd,
        daysRemaining,
      },
      limits: claims.limits,
      // Only this installation's counts are known here (one slot: this one).
      usage: { period, ticketsThisMonth: local?.tickets ?? 0, clients: local?.clients ?? 0, activations: 1 },
      features: namedFeatures(claims.features, null),
      warnings: [
        {
          code: CLIENT_CODES.AIR_GAPPED,
          message: `Air-gapped: answered from the imported license file (valid until ${claims.expiresAt.toISOString()}), not from the server`,
        },
      ],
      upgrade: null,
      activation: { instanceId, activatedAt: issuedAt, clients: local?.clients ?? 0 },
      certificate: null,
      offline: true,
      airGapped: true,
      lastServerContact: null,
      offlineValidUntil: claims.expiresAt.toISOString(),
    };
  }

  /** Answers from the imported license file, with no network call (docs/AIR-GAPPED.md "Answering from the file"). */
  async function licenseFileState(cache: CacheData, licenseFile: string, at: Date): Promise<State> {
    const fileInvalid = (code: string, message: string, claims: LicenseFileClaims | null): State => {
      const result = { valid: false, code, message };
      const status = claims
        ? licenseFileStatus(result, claims, cache, at)
        : { ...emptyStatus(result), airGapped: true };
      return makeState(result, status, { online: false });
    };
    const check = await checkLicenseFile(licenseFile, licenseFileBinding(cache, at), { atImport: false });
    if (!check.ok) {
      return fileInvalid(
        CLIENT_CODES.LICENSE_FILE_INVALID,
        `The imported license file no longer verifies (${check.message}); import a new license file`,
        null,
      );
    }
    const claims = check.claims;
    const marks = [claims.issuedAt?.getTime(), isoMs(cache.signedHighWater), isoMs(cache.localHighWater)].filter(
      (t): t is number => t !== undefined && Number.isFinite(t),
    );
    const highWater = Math.max(...marks);
    if (at.getTime() < highWater - skewMs) {
      return fileInvalid(
        CLIENT_CODES.CLOCK_ROLLBACK,
        `The system clock (${at.toISOString()}) is earlier than the last time seen (${new Date(highWater).toISOString()}): refusing to answer from the license file until the clock is corrected`,
        claims,
      );
    }
    if (claims.expiresAt.getTime() <= at.getTime()) {
      return fileInvalid(
        CLIENT_CODES.LICENSE_FILE_EXPIRED,
        `The license file expired at ${claims.expiresAt.toISOString()}: import a renewed license file`,
        claims,
      );
    }
    const local = isoMs(cache.localHighWater);
    if (!Number.isFinite(local) || at.getTime() - local >= HIGH_WATER_STEP_MS) {
      cache.localHighWater = at.toISOString();
      save(cache);
    }
    const daysLeft = Math.floor((claims.expiresAt.getTime() - at.getTime()) / DAY);
    const result = {
      valid: true,
      code: CLIENT_CODES.LICENSE_FILE_VALID,
      message: `Licensed by the imported license file (air-gapped) until ${claims.expiresAt.toISOString()} (${daysLeft} days left)`,
    };
    return makeState(result, licenseFileStatus(result, claims, cache, at), {
      online: false,
      features: namedFeatures(claims.features, null),
      limits: claims.limits,
    });
  }

  /** The imported license file of a cache that belongs to this key and instance, if any. */
  function importedLicenseFile(load: CacheLoad): string | null {
    const licenseFile = matching(load)?.licenseFile;
    return typeof licenseFile === "string" && licenseFile.length > 0 ? licenseFile : null;
  }

  function saveOrThrow(cache: CacheData): void {
    const failure = save(cache);
    if (failure) throw new LicenseError(CLIENT_CODES.CLIENT_ERROR, failure);
  }

  async function writeActivationRequest(target?: string): Promise<ActivationRequestResult> {
    const key = ensureInstanceKey();
    const built = await buildActivationRequest({ licenseKey, instanceId, instanceName, instanceKey: key, now: now() });
    // The file first, then its nonce (docs/AIR-GAPPED.md "Writing the request"): a request that
    // could not be written changes nothing (the fs error is thrown as it is).
    if (target !== undefined) writeRequestFile(target, built.content);
    const cache = workingCache(store.load());
    cache.offlineRequestNonce = built.payload.nonce;
    const failure = save(cache);
    if (failure) {
      // Nor does one whose nonce could not be kept: no file is left to upload that could never import.
      if (target !== undefined) fs.rmSync(target, { force: true });
      throw new LicenseError(CLIENT_CODES.CLIENT_ERROR, failure);
    }
    return { path: target ?? null, content: built.content, request: built.payload };
  }

  async function importLicenseFile(pathOrJson: string): Promise<ClientLicenseStatus> {
    if (typeof pathOrJson !== "string" || pathOrJson.trim() === "") {
      throw new LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, "importLicenseFile: give a path or the file's JSON");
    }
    let text = pathOrJson;
    if (!pathOrJson.trimStart().startsWith("{")) {
      try {
        text = fs.readFileSync(pathOrJson, "utf8");
      } catch (err) {
        throw new LicenseError(
          CLIENT_CODES.LICENSE_FILE_INVALID,
          `Cannot read the license file ${pathOrJson}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    const at = now();
    const cache = workingCache(store.load());
    const check = await checkLicenseFile(text, licenseFileBinding(cache, at));
    if (!check.ok) {
      throw new LicenseError(
        CLIENT_CODES.LICENSE_FILE_INVALID,
        `License file refused (${check.message}); nothing was changed`,
      );
    }
    cache.licenseFile = text;
    saveOrThrow(cache);
    state = null;
    return (await refresh()).status;
  }

  async function deactivateOffline(): Promise<OfflineDeactivation> {
    const cache = workingCache(store.load());
    const licenseFile = typeof cache.licenseFile === "string" && cache.licenseFile ? cache.licenseFile : null;
    if (!licenseFile) {
      throw new LicenseError(
        CLIENT_CODES.NO_LICENSE_FILE,
        "No license file is imported: there is nothing to deactivate offline",
      );
    }
    // The file was verified at import; an expired one can still be given back.
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt((JSON.parse(licenseFile) as { license: string }).license) as Record<string, unknown>;
    } catch {
      throw new LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, "The imported license file cannot be read");
    }
    const lid = typeof claims.lid === "string" ? claims.lid : typeof claims.sub === "string" ? claims.sub : null;
    const jti = typeof claims.jti === "string" ? claims.jti : null;
    if (!lid || !jti) {
      throw new LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, "The imported license file names no license id or jti");
    }
    // The newest request's nonce (a renewal uploaded, not imported yet); the file's own otherwise.
    const nonce =
      typeof cache.offlineRequestNonce === "string" && cache.offlineRequestNonce
        ? cache.offlineRequestNonce
        : typeof claims.nonce === "string"
          ? claims.nonce
          : null;
    if (!nonce) {
      throw new LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, "The imported license file names no request nonce");
    }
    const payload: OfflineDeactivation["payload"] = {
      v: 1,
      lid,
      instanceId,
      jti,
      nonce,
      deactivatedAt: now().toISOString(),
    };
    const code = buildDeactivationCode(payload, ensureInstanceKey());
    // The code says the file is gone: it is, before the code is shown.
    cache.licenseFile = null;
    cache.offlineRequestNonce = null;
    saveOrThrow(cache);
    state = null;
    return { code, payload };
  }

  /** recordTickets from the license file: counted in the cache per UTC month, refused over the file's limits. */
  async function recordLocally(cache: CacheData, licenseFile: string, tickets: number, clients?: number) {
    const at = now();
    const s = await licenseFileState(cache, licenseFile, at);
    state = s;
    if (!s.result.valid || !s.limits) throw new LicenseError(s.result.code, s.result.message);
    const limits = s.limits;
    const period = at.toISOString().slice(0, 7);
    const used = cache.localUsage?.period === period ? cache.localUsage : { period, tickets: 0, clients: 0 };
    if (clients !== undefined && clients > limits.maxClients) {
      throw new LicenseError(
        CLIENT_CODES.CLIENT_LIMIT_EXCEEDED,
        `Client limit exceeded: ${clients} clients, the license allows ${limits.maxClients}`,
      );
    }
    if (used.tickets + tickets > limits.maxTicketsPerMonth) {
      throw new LicenseError(
        CLIENT_CODES.USAGE_LIMIT_EXCEEDED,
        `Monthly ticket limit exceeded: ${tickets} tickets, ${Math.max(0, limits.maxTicketsPerMonth - used.tickets)} of ${limits.maxTicketsPerMonth} left this month`,
      );
    }
    cache.localUsage = { period, tickets: used.tickets + tickets, clients: clients ?? used.clients };
    saveOrThrow(cache);
    state = null;
    return {
      usage: { period, ticketsThisMonth: cache.localUsage.tickets, clients: cache.localUsage.clients, activations: 1 },
      remaining: limits.maxTicketsPerMonth - cache.localUsage.tickets,
    };
  }

  // ---------------------------------------------------------------- refresh

  /** The stored refusal, answered while automatic activation waits for the server's time. */
  function waitingState(cache: CacheData, until: Date, status: LicenseStatusBody | null, note: string | null): State {
    const refusal = cache.activationRefusal ?? {
      code: "ACTIVATION_LIMIT_REACHED",
      message: "All activations of this license are in use",
    };
    return invalidFromServer(
      refusal.code,
      `${refusal.message} (next automatic activation attempt after ${until.toISOString()})`,
      status,
      note,
    );
  }

  async function doRefresh(): Promise<State> {
    const at = now();
    const load = store.load();
    const cache = workingCache(load);
    // Air-gapped: an imported license file answers, with no network call.
    const licenseFile = importedLicenseFile(load);
    if (licenseFile) return licenseFileState(cache, licenseFile, at);
    const cacheNote = load.kind === "invalid" ? `previous cache discarded: ${load.message}` : null;
    try {
      let raw: unknown;
      let serverDate: Date | null;
      if (!cache.activated && !cache.deactivated && autoActivate) {
        const wait = activationWait(cache, at);
        if (wait) return waitingState(cache, wait, null, cacheNote);
        const act = await postActivation();
        cache.activated = true;
        raw = act.body?.license;
        serverDate = act.serverDate;
        if (!isStatusBody(raw) || !raw.certificate) {
          const st = await getStatus();
          raw = st.body;
          serverDate = st.serverDate ?? serverDate;
        }
      } else {
        const st = await getStatus();
        raw = st.body;
        serverDate = st.serverDate;
        // Deactivated on purpose by the account admin or staff: stays off until activate() is called.
        if (
          isStatusBody(raw) &&
          raw.activation === null &&
          raw.warnings?.some((w) => w.code === "INSTANCE_DEACTIVATED")
        ) {
          cache.deactivated = true;
        }
        if (isStatusBody(raw) && raw.valid && raw.activation === null && !cache.deactivated && autoActivate) {
          // Our slot was freed elsewhere (e.g. by the heartbeat): claim it again (not before the server's retry time).
          const wait = activationWait(cache, at);
          if (wait) return waitingState(cache, wait, { ...raw, code: contractCode(raw.code) }, cacheNote);
          const act = await postActivation();
          cache.activated = true;
          if (isStatusBody(act.body?.license) && act.body.license.certificate) {
            raw = act.body.license;
            serverDate = act.serverDate ?? serverDate;
          } else {
            const again = await getStatus();
            raw = again.body;
            serverDate = again.serverDate ?? serverDate;
          }
        }
      }
      return await acceptServerStatus(raw, serverDate ?? at, cache, cacheNote);
    } catch (err) {
      if (err instanceof UnreachableError) return offlineState(load, err, at);
      if (err instanceof LicenseError && err.code === CLIENT_CODES.BAD_RESPONSE) {
        // Not the server speaking (a proxy's page, a wrong URL): keep the cache as it is.
        return makeState({ valid: false, code: err.code, message: err.message }, null, { online: true });
      }
      if (err instanceof LicenseError) {
        // The server refused (not found, revoked, activation limit …): drop the certificate.
        cache.certificate = null;
        cache.status = null;
        let message = err.message;
        if (err.code === "ACTIVATION_LIMIT_REACHED") {
          rememberActivationRefusal(cache, err, at);
          message = `${err.message} (next automatic activation attempt after ${cache.activationRetryAt})`;
        }
        const note = save(cache) ?? cacheNote;
        return invalidFromServer(contractCode(err.code), message, null, note);
      }
      const result = {
        valid: false,
        code: CLIENT_CODES.CLIENT_ERROR,
        message: `License check failed: ${(err as Error)?.message ?? String(err)}`,
      };
      return makeState(result, null, { online: false });
    }
  }

  function refresh(): Promise<State> {
    if (!inFlight) {
      inFlight = doRefresh()
        .catch((err: unknown) =>
          makeState(
            { valid: false, code: CLIENT_CODES.CLIENT_ERROR, message: `License check failed: ${String(err)}` },
            null,
            { online: false },
          ),
        )
        .then((s) => {
          state = s;
          return s;
        })
        .finally(() => {
          inFlight = null;
        });
    }
    return inFlight;
  }

  async function current(): Promise<State> {
    const t = now().getTime();
    if (state && t >= state.at && t - state.at < ttlMs) return state;
    return refresh();
  }

  // ---------------------------------------------------------------- public API

  /** Explicit activation (an operator's action): always asks the server, even while automatic activation waits. */
  async function activate(): Promise<ActivationResult> {
    const at = now();
    const cache = workingCache(store.load());
    let act: { body: ActivationResult; serverDate: Date | null };
    try {
      act = await postActivation();
    } catch (err) {
      if (err instanceof LicenseError && err.code === "ACTIVATION_LIMIT_REACHED") {
        rememberActivationRefusal(cache, err, at);
        save(cache);
        state = null;
      }
      throw err;
    }
    cache.activated = true;
    cache.deactivated = false;
    let raw: unknown = act.body?.license;
    let serverDate = act.serverDate;
    if (!isStatusBody(raw) || !raw.certificate) {
      const st = await getStatus();
      raw = st.body;
      serverDate = st.serverDate ?? serverDate;
    }
    state = await acceptServerStatus(raw, serverDate ?? at, cache, null);
    return { activation: act.body?.activation ?? null, license: isStatusBody(raw) ? raw : null };
  }

  async function deactivate(): Promise<unknown> {
    const res = await http.request<unknown>({
      method: "POST",
      path: "/api/deactivate",
      headers: authHeaders(),
      body: { instanceId },
      idempotent: true,
    });
    const cache = workingCache(store.load());
    cache.activated = false;
    cache.deactivated = true;
    cache.certificate = null;
    if (cache.status) cache.status = { ...cache.status, certificate: null, activation: null };
    save(cache);
    state = null;
    return res.body;
  }

  async function recordTickets(tickets: number, clients?: number): Promise<UsageReport> {
    if (!Number.isInteger(tickets) || tickets < 0) {
      throw new LicenseError(CLIENT_CODES.INVALID_INPUT, "tickets must be a non-negative integer");
    }
    if (clients !== undefined && (!Number.isInteger(clients) || clients < 0)) {
      throw new LicenseError(CLIENT_CODES.INVALID_INPUT, "clients must be a non-negative integer");
    }
    const load = store.load();
    const licenseFile = importedLicenseFile(load);
    if (licenseFile) return recordLocally(workingCache(load), licenseFile, tickets, clients);
    const s = await current();
    if (!s.result.valid && s.online) throw new LicenseError(s.result.code, s.result.message);
    const body: Record<string, number> = { tickets };
    if (clients !== undefined) body.clients = clients;
    let res: { body: { usage?: UsageReport["usage"]; remaining?: number } };
    try {
      res = await http.request<{ usage?: UsageReport["usage"]; remaining?: number }>({
        method: "POST",
        path: "/api/usage",
        headers: authHeaders(),
        body,
        idempotent: false, // a lost answer may still have counted: never repeat blindly
      });
    } catch (err) {
      if (err instanceof LicenseError && err.code === CLIENT_CODES.INSTANCE_NOT_ACTIVATED) {
        // The server no longer counts this installation as activated: re-check (and re-activate) next time.
        const cache = workingCache(store.load());
        if (!cache.deactivated) {
          cache.activated = false;
          save(cache);
        }
        state = null;
      }
      throw err;
    }
    const usage = res.body?.usage ?? null;
    if (clients !== undefined) reportedClients = clients;
    if (state) {
      const activation = state.status.activation;
      state.status = {
        ...state.status,
        ...(usage ? { usage } : {}),
        // What this installation reported is its share of usage.clients (assertWithinLimits).
        ...(clients !== undefined && activation ? { activation: { ...activation, clients } } : {}),
      };
    }
    return { usage, remaining: typeof res.body?.remaining === "number" ? res.body.remaining : null };
  }

  /** Checks what REMAINS: tickets against the month's remainder, clients against what other installations leave. */
  async function assertWithinLimits(counts: { clients?: number; tickets?: number }): Promise<UsageLimits> {
    const s = await current();
    if (!s.result.valid) throw new LicenseError(s.result.code, s.result.message);
    const limits = s.limits ?? ZERO_LIMITS;
    const usage = s.status.usage;
    const ownClients = s.status.activation?.clients ?? reportedClients ?? 0;
    const otherClients = Math.max(0, (usage?.clients ?? 0) - ownClients);
    const clientsLeft = Math.max(0, limits.maxClients - otherClients);
    // Tickets of an earlier month (a cached answer across a month boundary) no longer count.
    const ticketsUsed = usage && usage.period === now().toISOString().slice(0, 7) ? usage.ticketsThisMonth : 0;
    const ticketsLeft = Math.max(0, limits.maxTicketsPerMonth - ticketsUsed);
    if (counts.clients !== undefined && counts.clients > clientsLeft) {
      throw new LicenseError(
        CLIENT_CODES.CLIENT_LIMIT_EXCEEDED,
        `Client limit exceeded: ${counts.clients} clients on this installation, the license allows ${limits.maxClients}` +
          (otherClients > 0 ? ` and its other installations report ${otherClients} (${clientsLeft} left here)` : ""),
      );
    }
    if (counts.tickets !== undefined && counts.tickets > ticketsLeft) {
      throw new LicenseError(
        CLIENT_CODES.USAGE_LIMIT_EXCEEDED,
        `Monthly ticket limit exceeded: ${counts.tickets} tickets, ${ticketsLeft} of ${limits.maxTicketsPerMonth} left this month`,
      );
    }
    return limits;
  }

  return {
    instanceId,
    dataDir,
    async validateLicense() {
      return (await refresh()).result;
    },
    async checkFeatureAccess(nameOrKey: string) {
      try {
        const s = await current();
        return s.result.valid && hasFeature(s.features, nameOrKey);
      } catch {
        return false;
      }
    },
    async getUsageLimits() {
      try {
        const s = await current();
        return s.result.valid && s.limits ? { ...s.limits } : { ...ZERO_LIMITS };
      } catch {
        return { ...ZERO_LIMITS };
      }
    },
    async getLicenseStatus() {
      return (await refresh()).status;
    },
    recordTickets,
    assertWithinLimits,
    activate,
    deactivate,
    writeActivationRequest,
    importLicenseFile,
    deactivateOffline,
  };
}
