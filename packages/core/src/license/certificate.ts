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
  instanceId: string | null;
  status: string;
  iat: number;
  exp: number;
};

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export function signCertificate(claims: CertificateClaims): string {
  const { kid, privateKey } = secrets().signingKeys[0]!;
  const header = b64url(JSON.stringify({ alg: "EdDSA", typ: "JWT", kid }));
  const payload = b64url(JSON.stringify(claims));
  const input = `${header}.${payload}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

export type Jwk = { kty: string; crv: string; x: string; kid: string; alg: "EdDSA"; use: "sig" };

/** Every signing key, current first: installations keep verifying across a rotation. */
let jwks: { keys: Jwk[] } | null = null;
export function publicJwks(): { keys: Jwk[] } {
  jwks ??= {
    keys: secrets().signingKeys.map(({ kid, publicKey }) => {
      const jwk = publicKey.export({ format: "jwk" }) as { kty: string; crv: string; x: string };
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: "EdDSA", use: "sig" };
    }),
  };
  return jwks;
}
