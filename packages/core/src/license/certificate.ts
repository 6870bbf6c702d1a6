/**
 * Offline certificates: a compact JWS (alg EdDSA, Ed25519, `kid` in the
 * header) that any JOSE library verifies against `GET /api/public-key`.
 * Signed with node:crypto directly: it is synchronous and the fastest path
 * for the hot endpoint; tests verify the result with `jose`.
 */
import { sign } from "node:crypto";
import { secrets } from "../server/secrets";
import type { PlanId, PlanLimits } from "./plans";

export type CertificateClaims = {
  iss: "ticketzero-license-portal";
  sub: string; // license id
  lid: string; // license id (explicit)
  plan: PlanId;
  features: string[];
  limits: PlanLimits;
  /** The one installation this certificate was issued to. */
  instanceId: string;
  status: string;
  iat: number;
  exp: number;
};

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/**
 * An air-gapped installation's license file (docs/AIR-GAPPED.md): the certificate's claims bound
 * to the installation's own key and request, under its own header type so neither token passes
 * for the other.
 */
export type LicenseFileClaims = CertificateClaims & {
  /** The installation's Ed25519 public key (base64url raw). */
  ipk: string;
  nonce: string;
  jti: string;
  licenseExpiresAt: string;
};
export const LICENSE_FILE_TYP = "tz-license-file+jwt";

export function signCertificate(claims: CertificateClaims): string {
  return signJws(claims, "JWT");
}

export function signLicenseFileToken(claims: LicenseFileClaims): string {
  return signJws(claims, LICENSE_FILE_TYP);
}

function signJws(claims: object, typ: string): string {
  const { kid, privateKey } = secrets().signingKeys[0]!;
  const header = b64url(JSON.stringify({ alg: "EdDSA", typ, kid }));
  const payload = b64url(JSON.stringify(claims));
  const input = `${header}.${payload}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

export type Jwk = { kty: string; crv: string; x: string; kid: string; alg: "EdDSA"; use: "sig" };

/**
 * `GET /api/public-key`: a plain JWKS (`keys`, valid for any JOSE library, which ignores the
 * extra member) plus `keySetTokens`: one compact EdDSA JWS per signing key, each over
 * `{"keys": [...], "iat": n}`, header `{"alg":"EdDSA","typ":"jwk-set+jwt","kid"}`. An
 * installation that trusts any one of the signing keys learns the others from the token that
 * key signed — that is how a new key reaches installations pinned to an old one: publish the new
 * key first in LICENSE_SIGNING_KEYS with the old one still listed, and the old key vouches for it.
 */
export type PublicKeySet = { keys: Jwk[]; keySetTokens: string[] };

/** Every signing key, current first: installations keep verifying across a rotation. */
let jwks: PublicKeySet | null = null;
export function publicJwks(): PublicKeySet {
  if (jwks) return jwks;
  const signingKeys = secrets().signingKeys;
  const keys: Jwk[] = signingKeys.map(({ kid, publicKey }) => {
    const jwk = publicKey.export({ format: "jwk" }) as { kty: string; crv: string; x: string };
    return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: "EdDSA", use: "sig" };
  });
  const payload = b64url(JSON.stringify({ keys, iat: Math.floor(Date.now() / 1000) }));
  const keySetTokens = signingKeys.map(({ kid, privateKey }) => {
    const header = b64url(JSON.stringify({ alg: "EdDSA", typ: "jwk-set+jwt", kid }));
    const input = `${header}.${payload}`;
    return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
  });
  jwks = { keys, keySetTokens };
  return jwks;
}
