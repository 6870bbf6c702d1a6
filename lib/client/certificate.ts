import { createLocalJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import type { CertificateClaims, JsonWebKeySet, UsageLimits } from "./types";

export type CertificateCheck =
  | { ok: true; claims: CertificateClaims }
  | { ok: false; reason: "expired"; message: string; claims: CertificateClaims }
  | { ok: false; reason: "invalid"; message: string };

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

/** Normalises claims; lenient about names (`sub`/`lid`, `iid`/`instanceId`, features as keys or objects). */
export function normaliseClaims(payload: JWTPayload, kid: string | null): CertificateClaims | null {
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
    raw: payload as Record<string, unknown>,
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
  } catch {
    return { ok: false, reason: "invalid", message: "certificate is not a compact JWS" };
  }
  const kids = jwksKids(jwks);
  if (kids.length === 0) return { ok: false, reason: "invalid", message: "no trusted signing keys available" };
  if (kid === null || !kids.includes(kid)) {
    return {
      ok: false,
      reason: "invalid",
      message: `certificate signed with key "${kid ?? "(no kid)"}", which is not trusted (trusted: ${kids.join(", ")})`,
    };
  }
  let payload: JWTPayload;
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
  if (opts.expectedInstanceId && claims.instanceId && claims.instanceId !== opts.expectedInstanceId) {
    return {
      ok: false,
      reason: "invalid",
      message: `certificate was issued to instance ${claims.instanceId}, not ${opts.expectedInstanceId}`,
    };
  }
  return { ok: true, claims };
}
