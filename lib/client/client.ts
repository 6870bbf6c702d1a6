import fs from "node:fs";
import os from "node:os";
import { type CacheData, type CacheLoad, CacheStore, hashKey, resolveInstanceId } from "./cache";
import { mergeJwks, sanitiseJwks, verifyCertificate } from "./certificate";
import { CLIENT_CODES, LicenseError } from "./errors";
import { featureName, hasFeature } from "./features";
import { type AttemptEvent, createHttp, type FetchLike, HttpError, type SleepFn, UnreachableError } from "./http";
import type {
  ActivationResult,
  CertificateClaims,
  ClientLicenseStatus,
  FeatureRef,
  JsonWebKeySet,
  LicenseStatusBody,
  UsageLimits,
  UsageReport,
  ValidationResult,
} from "./types";

export type LicenseClientOptions = {
  /** Base URL of the license server, e.g. `https://licenses.ticketzero.ai`. */
  serverUrl: string;
  /** The license key (`TZ-PRO-XXXX-…`). Sent as `Authorization: Bearer <key>`. */
  licenseKey: string;
  /** Stable id of this installation; default: read from / generated into `dataDir/instance-id`. */
  instanceId?: string;
  /** Human-readable name shown to the account admin. Default: the host name. */
  instanceName?: string;
  /** Directory for `instance-id`, `license.json` (encrypted cache) and `license.key`. */
  dataDir: string;
  /** Trusted signing keys (JWKS). Without them the server's keys are pinned at first contact. */
  jwks?: JsonWebKeySet;
  /** Alias of `jwks`. */
  publicKeys?: JsonWebKeySet;
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
const ZERO_LIMITS: UsageLimits = { maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 };

function emptyStatus(result: ValidationResult): ClientLicenseStatus {
  return {
    valid: result.valid,
    code: result.code,
    status: "invalid",
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
  if (!options || typeof options.serverUrl !== "string" || !/^https?:\/\//.test(options.serverUrl)) {
    throw new TypeError("createLicenseClient: serverUrl must be an http(s) URL");
  }
  if (typeof options.licenseKey !== "string" || options.licenseKey.trim() === "") {
    throw new TypeError("createLicenseClient: licenseKey is required");
  }
  if (typeof options.dataDir !== "string" || options.dataDir === "") {
    throw new TypeError("createLicenseClient: dataDir is required");
  }

  const serverUrl = options.serverUrl.replace(/\/+$/, "");
  const licenseKey = options.licenseKey.trim().toUpperCase();
  const keyHash = hashKey(licenseKey);
  const dataDir = options.dataDir;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const instanceId = resolveInstanceId(dataDir, options.instanceId);
  const instanceName = options.instanceName ?? hostName();
  const store = new CacheStore(dataDir);
  const now = options.now ?? (() => new Date());
  const graceMs = (options.graceDays ?? 7) * DAY;
  const skewMs = options.clockSkewMs ?? 5 * 60_000;
  const ttlMs = options.cacheTtlMs ?? 60_000;
  const autoActivate = options.autoActivate ?? true;
  const requireCertificate = options.requireCertificate ?? true;
  const configuredJwks = sanitiseJwks(options.jwks ?? options.publicKeys ?? null);
  if ((options.jwks || options.publicKeys) && !configuredJwks) {
    throw new TypeError("createLicenseClient: jwks must contain at least one Ed25519 (OKP) key");
  }

  const http = createHttp({
    baseUrl: serverUrl,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxRetries: options.maxRetries ?? 3,
    baseDelayMs: options.retryBaseDelayMs ?? 500,
    maxDelayMs: options.retryMaxDelayMs ?? 8_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    userAgent: "ticketzero-license-client/1",
    onAttempt: options.onRequest,
  });

  const authHeaders = (): Record<string, string> => ({
    authorization: `Bearer ${licenseKey}`,
    "x-instance-id": instanceId,
  });

  let state: State | null = null;
  let inFlight: Promise<State> | null = null;

  // ---------------------------------------------------------------- cache helpers

  function freshCache(pinned: JsonWebKeySet | null): CacheData {
    return {
      v: 1,
      serverUrl,
      keyHash,
      instanceId,
      activated: false,
      deactivated: false,
      status: null,
      certificate: null,
      pinnedJwks: pinned,
      lastServerContact: null,
      highWater: null,
    };
  }

  /** The cache when it belongs to this server, key and instance; otherwise null. */
  function matching(load: CacheLoad): CacheData | null {
    if (load.kind !== "ok") return null;
    const d = load.data;
    // The server URL may change (new host name, TLS); the signature and the pinned keys are what count.
    return d.keyHash === keyHash && d.instanceId === instanceId ? d : null;
  }

  function workingCache(load: CacheLoad): CacheData {
    const m = matching(load);
    if (m) return { ...m, serverUrl };
    // Another key or instance keeps the pinned keys: they identify the vendor, not the license.
    return freshCache(load.kind === "ok" ? load.data.pinnedJwks : null);
  }

  function save(cache: CacheData): string | null {
    try {
      store.save(cache);
      return null;
    } catch (err) {
      return `could not write the license cache: ${(err as Error).message}`;
    }
  }

  async function trustedKeys(cache: CacheData): Promise<JsonWebKeySet> {
    if (configuredJwks) return mergeJwks(configuredJwks, cache.pinnedJwks);
    if (cache.pinnedJwks && cache.pinnedJwks.keys.length > 0) return cache.pinnedJwks;
    const res = await http.request<unknown>({ method: "GET", path: "/api/public-key", idempotent: true });
    const jwks = sanitiseJwks(res.body);
    if (!jwks) {
      throw new HttpError(CLIENT_CODES.CERTIFICATE_INVALID, "The server published no Ed25519 signing key", {
        status: res.status,
      });
    }
    cache.pinnedJwks = jwks;
    return jwks;
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
    const body = status ?? emptyStatus(result);
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

  async function acceptServerStatus(
    raw: unknown,
    serverDate: Date,
    cache: CacheData,
    trusted: JsonWebKeySet,
    cacheNote: string | null,
  ): Promise<State> {
    if (!isStatusBody(raw)) {
      return invalidFromServer(CLIENT_CODES.BAD_RESPONSE, "The server's status answer is malformed", null, cacheNote);
    }
    const status = raw;
    cache.lastServerContact = serverDate.toISOString();
    cache.highWater = serverDate.toISOString();

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
            "This installation was deactivated; call activate() to use it again",
            status,
            note,
          )
        : invalidFromServer(CLIENT_CODES.NOT_ACTIVATED, "This installation is not activated", status, note);
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
    const check = await verifyCertificate(status.certificate, trusted, {
      currentDate: serverDate,
      expectedInstanceId: instanceId,
      clockToleranceSec: Math.round(skewMs / 1000),
    });
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
    cache.status = status;
    cache.certificate = status.certificate;
    cache.activated = true;
    cache.deactivated = false;
    const note = save(cache) ?? cacheNote;
    const claims = check.claims;
    const features = claims.features.length > 0 ? namedFeatures(claims.features, status) : status.features;
    const result = { valid: true, code: status.code, message: note ? `${status.message} (${note})` : status.message };
    return makeState(result, status, { online: true, features, limits: claims.limits ?? status.limits });
  }

  function indicator(plan: string | null, daysRemaining: number): string {
    if (plan === "trial") return "trial";
    return daysRemaining <= 30 ? "expiring_soon" : "valid";
  }

  function offlineStatus(
    result: ValidationResult,
    data: CacheData | null,
    claims: CertificateClaims | null,
    at: Date,
    validUntil: Date | null,
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
      status: result.valid
        ? indicator(plan, daysRemaining)
        : result.code === CLIENT_CODES.CERTIFICATE_EXPIRED
          ? "expired"
          : (cached?.status ?? "invalid"),
      message: result.message,
      license,
      limits: claims?.limits ?? cached?.limits ?? null,
      usage: cached?.usage ?? null,
      features,
      warnings: [...(cached?.warnings ?? []), { code: "OFFLINE", message: result.message }],
      upgrade: cached?.upgrade ?? null,
      activation: cached?.activation ?? null,
      certificate: data?.certificate ?? null,
      offline: true,
      lastServerContact: data?.lastServerContact ?? null,
      offlineValidUntil: validUntil?.toISOString() ?? null,
    };
  }

  async function offlineState(load: CacheLoad, failure: LicenseError, at: Date): Promise<State> {
    const reason = failure.message;
    const invalid = (code: string, message: string, data: CacheData | null, claims: CertificateClaims | null) => {
      const result = { valid: false, code, message };
      return makeState(result, offlineStatus(result, data, claims, at, null), { online: false });
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
      const why =
        load.kind === "missing"
          ? "there is no offline license cache"
          : "the offline cache was written for another license key or instance id";
      return invalid(CLIENT_CODES.NO_CACHE, `${reason}; ${why} (the server must be reached once)`, null, null);
    }
    const highWater = data.highWater ? Date.parse(data.highWater) : Number.NaN;
    if (Number.isFinite(highWater) && at.getTime() < highWater - skewMs) {
      return invalid(
        CLIENT_CODES.CLOCK_ROLLBACK,
        `${reason}; the system clock (${at.toISOString()}) is earlier than the last time seen (${new Date(highWater).toISOString()}): refusing offline operation until the server is reachable`,
        data,
        null,
      );
    }
    if (!data.certificate) {
      if (data.deactivated) {
        return invalid(CLIENT_CODES.DEACTIVATED, `${reason}; this installation was deactivated`, data, null);
      }
      if (data.status && !data.status.valid) {
        return invalid(data.status.code, `${reason}; the server's last answer was: ${data.status.message}`, data, null);
      }
      return invalid(CLIENT_CODES.NO_CACHE, `${reason}; no license certificate is cached`, data, null);
    }
    const trusted = mergeJwks(configuredJwks, data.pinnedJwks);
    const check = await verifyCertificate(data.certificate, trusted, {
      currentDate: at,
      expectedInstanceId: instanceId,
    });
    const lastContact = data.lastServerContact ? new Date(data.lastServerContact) : null;
    const since = lastContact ? `offline since ${lastContact.toISOString()}` : "offline";
    if (!check.ok && check.reason === "invalid") {
      return invalid(
        CLIENT_CODES.CERTIFICATE_INVALID,
        `${reason}; cached certificate refused: ${check.message}`,
        data,
        null,
      );
    }
    if (!check.ok) {
      return invalid(
        CLIENT_CODES.CERTIFICATE_EXPIRED,
        `${reason}; ${since}; the license certificate expired at ${check.claims.expiresAt.toISOString()}`,
        data,
        check.claims,
      );
    }
    const claims = check.claims;
    const graceEnd = new Date((lastContact ?? claims.issuedAt ?? at).getTime() + graceMs);
    if (at.getTime() > graceEnd.getTime()) {
      return invalid(
        CLIENT_CODES.OFFLINE_GRACE_EXPIRED,
        `${reason}; ${since}; the offline grace period of ${graceMs / DAY} days ended ${graceEnd.toISOString()}`,
        data,
        claims,
      );
    }
    const validUntil = claims.expiresAt.getTime() < graceEnd.getTime() ? claims.expiresAt : graceEnd;
    const hoursLeft = Math.floor((validUntil.getTime() - at.getTime()) / 3_600_000);
    const result = {
      valid: true,
      code: CLIENT_CODES.OFFLINE_VALID,
      message: `${reason}; working offline from the cached license certificate (${since}; valid offline until ${validUntil.toISOString()}, ${hoursLeft} h left)`,
    };
    // Raise the high-water mark so a later roll-back is noticed (best effort).
    if (!Number.isFinite(highWater) || at.getTime() > highWater) {
      save({ ...data, highWater: at.toISOString() });
    }
    const features = namedFeatures(claims.features, data.status);
    return makeState(result, offlineStatus(result, data, claims, at, validUntil), {
      online: false,
      features: claims.features.length > 0 ? features : (data.status?.features ?? []),
      limits: claims.limits ?? data.status?.limits ?? null,
    });
  }

  // ---------------------------------------------------------------- refresh

  async function doRefresh(): Promise<State> {
    const at = now();
    const load = store.load();
    const cache = workingCache(load);
    const cacheNote = load.kind === "invalid" ? `previous cache discarded: ${load.message}` : null;
    try {
      const trusted = await trustedKeys(cache);
      let raw: unknown;
      let serverDate: Date | null;
      if (!cache.activated && !cache.deactivated && autoActivate) {
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
        if (isStatusBody(raw) && raw.valid && raw.activation === null && !cache.deactivated && autoActivate) {
          // Our slot was freed elsewhere: claim it again.
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
      return await acceptServerStatus(raw, serverDate ?? at, cache, trusted, cacheNote);
    } catch (err) {
      if (err instanceof UnreachableError) return offlineState(load, err, at);
      if (err instanceof LicenseError) {
        // The server refused (not found, revoked, activation limit …): drop the certificate.
        cache.certificate = null;
        cache.status = null;
        if (err.code === "ACTIVATION_LIMIT_REACHED") cache.activated = false;
        const note = save(cache) ?? cacheNote;
        return invalidFromServer(err.code, err.message, null, note);
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

  async function activate(): Promise<ActivationResult> {
    const load = store.load();
    const cache = workingCache(load);
    const trusted = await trustedKeys(cache);
    const act = await postActivation();
    cache.activated = true;
    cache.deactivated = false;
    let raw: unknown = act.body?.license;
    let serverDate = act.serverDate;
    if (!isStatusBody(raw) || !raw.certificate) {
      const st = await getStatus();
      raw = st.body;
      serverDate = st.serverDate ?? serverDate;
    }
    state = await acceptServerStatus(raw, serverDate ?? now(), cache, trusted, null);
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
      throw new LicenseError("INVALID_INPUT", "tickets must be a non-negative integer");
    }
    if (clients !== undefined && (!Number.isInteger(clients) || clients < 0)) {
      throw new LicenseError("INVALID_INPUT", "clients must be a non-negative integer");
    }
    const s = await current();
    if (!s.result.valid && s.online) throw new LicenseError(s.result.code, s.result.message);
    const body: Record<string, number> = { tickets };
    if (clients !== undefined) body.clients = clients;
    const res = await http.request<{ usage?: UsageReport["usage"]; remaining?: number }>({
      method: "POST",
      path: "/api/usage",
      headers: authHeaders(),
      body,
      idempotent: false, // a lost answer may still have counted: never repeat blindly
    });
    const usage = res.body?.usage ?? null;
    if (usage && state) state.status = { ...state.status, usage };
    return { usage, remaining: typeof res.body?.remaining === "number" ? res.body.remaining : null };
  }

  async function assertWithinLimits(counts: { clients?: number; tickets?: number }): Promise<UsageLimits> {
    const s = await current();
    if (!s.result.valid) throw new LicenseError(s.result.code, s.result.message);
    const limits = s.limits ?? ZERO_LIMITS;
    if (counts.clients !== undefined && counts.clients > limits.maxClients) {
      throw new LicenseError(
        CLIENT_CODES.CLIENT_LIMIT_EXCEEDED,
        `Client limit exceeded: ${counts.clients} clients, the license allows ${limits.maxClients}`,
      );
    }
    if (counts.tickets !== undefined && counts.tickets > limits.maxTicketsPerMonth) {
      throw new LicenseError(
        CLIENT_CODES.USAGE_LIMIT_EXCEEDED,
        `Monthly ticket limit exceeded: ${counts.tickets} tickets, the license allows ${limits.maxTicketsPerMonth}`,
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
  };
}
