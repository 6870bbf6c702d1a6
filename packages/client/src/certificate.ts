import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { CertificateClaims, JsonWebKeySet, UsageLimits } from "./types.js";

export type CertificateCheck =
  | { ok: true; claims: CertificateClaims }
  | { ok: false; reason: "expired"; message: string; claims: CertificateClaims }
  | { ok: false; reason: "invalid"; message: string; untrustedKid?: string };

/** The JWS `typ` of an air-gapped license file (docs/AIR-GAPPED.md): never an online certificate. */
export const LICENSE_FILE_JWT_TYPE = "tz-license-file+jwt";

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

function limitsOf(value: unknown): UsageLimits | null {
  if (!value || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  const maxClients = num(v.maxClients);
  const maxTicketsPerMonth = num(v.maxTicketsPerMonth);
  const maxActivations = num(v.maxActivations);
  if (maxClients === null || maxTicketsPerMonth === null || maxActivations === null) return null;
  return { maxClients, maxTicketsPerMonth, maxActivations };
}

/**
 * Normalises claims; lenient about names (`sub`/`lid`, `iid`/`instanceId`, features as keys or objects).
 * Takes a plain record so the published declarations never name `jose` (bundled, not a dependency).
 */
export function normaliseClaims(payload: Record<string, unknown>, kid: string | null): CertificateClaims | null {
  const exp = num(payload.exp);
  if (exp === null) return null;
  const iat = num(payload.iat);
  const rawFeatures = Array.isArray(payload.features) ? payload.features : [];
  const features = rawFeatures
    .map((f: unknown) => (typeof f === "string" ? f : str((f as { key?: unknown } | null)?.key)))
    .filter((f): f is string => typeof f === "string");
  return {
    licenseId: str(payload.lid) ?? str(payload.sub),
    plan: str(payload.plan),
    features,
    limits: limitsOf(payload.limits),
    instanceId: str(payload.iid) ?? str(payload.instanceId),
    issuedAt: iat === null ? null : new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
    kid,
    raw: payload,
  };
}

export function jwksKids(jwks: JsonWebKeySet | null | undefined): string[] {
  return (jwks?.keys ?? []).map((k) => k.kid).filter((k): k is string => typeof k === "string");
}

/** Merges key sets; the first set's key wins on a duplicate `kid`. */
export function mergeJwks(...sets: Array<JsonWebKeySet | null | undefined>): JsonWebKeySet {
  const seen = new Set<string>();
  const keys: JsonWebKeySet["keys"] = [];
  for (const set of sets) {
    for (const key of set?.keys ?? []) {
      const kid = typeof key.kid === "string" ? key.kid : JSON.stringify(key);
      if (seen.has(kid)) continue;
      seen.add(kid);
      keys.push(key);
    }
  }
  return { keys };
}

/** Keeps only Ed25519 verification keys, never private material. */
export function sanitiseJwks(value: unknown): JsonWebKeySet | null {
  if (!value || typeof value !== "object" || !Array.isArray((value as { keys?: unknown }).keys)) return null;
  const keys = ((value as { keys: unknown[] }).keys ?? [])
    .filter((k): k is Record<string, unknown> => !!k && typeof k === "object")
    .filter((k) => k.kty === "OKP" && k.crv === "Ed25519" && typeof k.x === "string")
    .map((k) => {
      const out: Record<string, unknown> = { kty: "OKP", crv: "Ed25519", x: k.x };
      if (typeof k.kid === "string") out.kid = k.kid;
      out.alg = "EdDSA";
      out.use = "sig";
      return out;
    });
  return keys.length > 0 ? { keys } : null;
}

/**
 * Verifies a compact JWS certificate (EdDSA/Ed25519) against `jwks` at `currentDate`.
 * Signature failures, unknown `kid`s and malformed claims are "invalid"; a good signature past
 * `exp` is "expired" (with its claims).
 */
export async function verifyCertificate(
  token: string,
  jwks: JsonWebKeySet,
  opts: { currentDate: Date; expectedInstanceId?: string; clockToleranceSec?: number },
): Promise<CertificateCheck> {
  let kid: string | null = null;
  try {
    const header = decodeProtectedHeader(token);
    kid = typeof header.kid === "string" ? header.kid : null;
    if (header.alg !== "EdDSA" && header.alg !== "Ed25519") {
      return { ok: false, reason: "invalid", message: `certificate uses unexpected algorithm ${String(header.alg)}` };
    }
    if (header.typ === LICENSE_FILE_JWT_TYPE) {
      return {
        ok: false,
        reason: "invalid",
        message: `the token is a license file (typ "${LICENSE_FILE_JWT_TYPE}"), not an online certificate`,
      };
    }
  } catch {
    return { ok: false, reason: "invalid", message: "certificate is not a compact JWS" };
  }
  const kids = jwksKids(jwks);
  if (kids.length === 0) {
    return {
      ok: false,
      reason: "invalid",
      message: "no trusted signing keys available",
      ...(kid === null ? {} : { untrustedKid: kid }),
    };
  }
  if (kid === null || !kids.includes(kid)) {
    return {
      ok: false,
      reason: "invalid",
      message: `certificate signed with key "${kid ?? "(no kid)"}", which is not trusted (trusted: ${kids.join(", ")})`,
      ...(kid === null ? {} : { untrustedKid: kid }),
    };
  }
  let payload: Record<string, unknown>;
  try {
    const result = await jwtVerify(token, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), {
      algorithms: ["EdDSA", "Ed25519"],
      currentDate: opts.currentDate,
      clockTolerance: opts.clockToleranceSec ?? 0,
    });
    payload = result.payload;
  } catch (err) {
    if (err instanceof errors.JWTExpired) {
      const claims = normaliseClaims(err.payload, kid);
      if (claims && opts.expectedInstanceId !== undefined && claims.instanceId !== opts.expectedInstanceId) {
        return { ok: false, reason: "invalid", message: "expired certificate does not name this instance" };
      }
      if (claims) {
        return {
          ok: false,
          reason: "expired",
          message: `certificate expired at ${claims.expiresAt.toISOString()}`,
          claims,
        };
      }
    }
    if (err instanceof errors.JWSSignatureVerificationFailed) {
      return { ok: false, reason: "invalid", message: "certificate signature does not verify" };
    }
    return { ok: false, reason: "invalid", message: `certificate refused: ${(err as Error).message}` };
  }
  const claims = normaliseClaims(payload, kid);
  if (!claims) return { ok: false, reason: "invalid", message: "certificate has no exp claim" };
  if (opts.expectedInstanceId !== undefined && claims.instanceId !== opts.expectedInstanceId) {
    return {
      ok: false,
      reason: "invalid",
      message:
        claims.instanceId === null
          ? `certificate names no instance (it must name this one, ${opts.expectedInstanceId})`
          : `certificate was issued to instance ${claims.instanceId}, not ${opts.expectedInstanceId}`,
    };
  }
  return { ok: true, claims };
}

/** Whether a verification failure was only "this kid is not trusted" (worth learning keys for). */
export function isUnknownKid(check: CertificateCheck): boolean {
  return !check.ok && check.reason === "invalid" && check.untrustedKid !== undefined;
}

/**
 * Key rotation: `keySetTokens` from `GET /api/public-key` are compact EdDSA JWS over
 * `{keys, iat}`, one per signing key. Starting from `anchors` (shipped or configured keys,
 * never keys merely read from the cache), every token whose `kid` is already trusted and whose
 * signature verifies adds its keys; repeated until nothing changes, so a chain of rotations
 * (A vouches for B, B vouches for C) is followed. Returns the trusted set and the tokens that
 * proved something (the ones worth keeping in the cache).
 */
export async function proveKeys(
  anchors: JsonWebKeySet,
  tokens: readonly string[],
): Promise<{ jwks: JsonWebKeySet; proofs: string[] }> {
  let trusted = mergeJwks(anchors);
  const pending = [...new Set(tokens.filter((t) => typeof t === "string" && t.length < 65_536))].slice(0, 64);
  const proofs: string[] = [];
  let progress = true;
  while (progress && pending.length > 0) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const token = pending[i] as string;
      const learned = await verifyKeySetToken(token, trusted);
      if (learned === null) continue;
      pending.splice(i, 1);
      i--;
      proofs.push(token);
      const before = jwksKids(trusted).length;
      trusted = mergeJwks(trusted, learned);
      if (jwksKids(trusted).length > before) progress = true;
    }
  }
  return { jwks: trusted, proofs };
}

/** The keys a key-set token vouches for, when it is signed by a key in `trusted`; else null. */
export async function verifyKeySetToken(token: string, trusted: JsonWebKeySet): Promise<JsonWebKeySet | null> {
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== "EdDSA" && header.alg !== "Ed25519") return null;
    if (typeof header.kid !== "string" || !jwksKids(trusted).includes(header.kid)) return null;
    const { payload } = await compactVerify(
      token,
      createLocalJWKSet(trusted as Parameters<typeof createLocalJWKSet>[0]),
      {
        algorithms: ["EdDSA", "Ed25519"],
      },
    );
    return sanitiseJwks(JSON.parse(new TextDecoder().decode(payload)));
  } catch {
    return null;
  }
}

/** The `keySetTokens` member of a `GET /api/public-key` answer (absent on older servers). */
export function keySetTokensOf(value: unknown): string[] {
  const tokens = (value as { keySetTokens?: unknown } | null)?.keySetTokens;
  return Array.isArray(tokens) ? tokens.filter((t): t is string => typeof t === "string") : [];
}
