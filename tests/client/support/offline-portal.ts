/**
 * License files and code checks for the client's unit tests (docs/AIR-GAPPED.md), reduced to the
 * formats and free of the database: an injected clock, a short validity, a foreign signer, a
 * missing claim — files the portal itself never issues. The real round trip goes through the
 * portal's own code (packages/core/src/license/offline.ts) in tests/client/cli.test.ts,
 * tests/core/air-gapped.test.ts and the e2e spec.
 *
 * Signs with the test run's development signing key (`secrets()`, the same key the server
 * processes of the run use), and ships `publicJwks().keySetTokens`, exactly as the contract says.
 */
import { createHmac, createPublicKey, type KeyObject, pbkdf2Sync, randomUUID, sign, verify } from "node:crypto";
import { publicJwks } from "@ticketzero/core/license/certificate";
import type { PlanId, PlanLimits } from "@ticketzero/core/license/plans";
import { secrets } from "@ticketzero/core/server/secrets";
import type { ActivationRequestResult } from "../../../packages/client/src/index";

const b64u = (value: string | Buffer) => Buffer.from(value).toString("base64url");
const DAY = 86_400_000;

/** The request's payload, as the client writes it. */
export type RequestPayload = ActivationRequestResult["request"];

/** The license as the portal knows it. */
export type OfflineLicense = {
  id: string;
  key: string;
  plan: PlanId;
  features: string[];
  limits: PlanLimits;
  expiresAt: Date;
  status?: string;
};

export function instancePublicKey(raw: string): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw }, format: "jwk" });
}

const REQUEST_MEMBERS = ["client", "createdAt", "instanceId", "instanceName", "keyPrefix", "nonce", "publicKey", "v"];

/**
 * The request's proof, computed independently of the client (docs/AIR-GAPPED.md): HMAC-SHA256
 * keyed with PBKDF2-HMAC-SHA256(normalised key, 'tz-activation-request:v1:' + nonce, 200 000, 32).
 */
export function expectedProof(licenseKey: string, request: string, nonce: string): string {
  const proofKey = pbkdf2Sync(
    licenseKey.trim().toUpperCase(),
    `tz-activation-request:v1:${nonce}`,
    200_000,
    32,
    "sha256",
  );
  return createHmac("sha256", proofKey).update(`tz-activation-request:v1.${request}`).digest("base64url");
}

/** The key's first two groups, as the contract's `keyPrefix`. */
export function expectedKeyPrefix(licenseKey: string): string {
  return licenseKey.trim().toUpperCase().split("-").slice(0, 2).join("-");
}

/** Checks a request file as the portal must (format, proof with the license key, signature); throws on any failure. */
export function verifyActivationRequest(text: string, licenseKey: string): RequestPayload {
  const file = JSON.parse(text) as { type: string; v: number; request: string; proof: string; signature: string };
  if (file.type !== "ticketzero-activation-request" || file.v !== 1) throw new Error("not an activation request");
  const signed = Buffer.from(`tz-activation-request:v1.${file.request}`);
  const payload = JSON.parse(Buffer.from(file.request, "base64url").toString("utf8")) as RequestPayload;
  if (Object.keys(payload).sort().join() !== REQUEST_MEMBERS.join()) {
    throw new Error(`payload members are ${Object.keys(payload).join(",")}`);
  }
  if (expectedProof(licenseKey, file.request, payload.nonce) !== file.proof) throw new Error("proof does not verify");
  if (!verify(null, signed, instancePublicKey(payload.publicKey), Buffer.from(file.signature, "base64url"))) {
    throw new Error("signature does not verify");
  }
  if (payload.keyPrefix !== expectedKeyPrefix(licenseKey)) throw new Error("keyPrefix differs");
  return payload;
}

export type IssueOptions = {
  now?: Date;
  /** OFFLINE_LICENSE_MAX_DAYS. */
  maxDays?: number;
  /** Test overrides: sign with another key, name another instance or key, change the header type. */
  signWith?: { kid: string; privateKey: KeyObject };
  claims?: Record<string, unknown>;
  typ?: string;
  keySetTokens?: string[];
};

/** The license file answering a request (the request is verified first). Returns the file's JSON text. */
export function issueLicenseFile(requestText: string, license: OfflineLicense, options: IssueOptions = {}): string {
  const request = verifyActivationRequest(requestText, license.key);
  const now = options.now ?? new Date();
  const iat = Math.floor(now.getTime() / 1000);
  const exp = Math.floor(Math.min(license.expiresAt.getTime(), now.getTime() + (options.maxDays ?? 90) * DAY) / 1000);
  const claims = {
    iss: "ticketzero-license-portal",
    sub: license.id,
    lid: license.id,
    plan: license.plan,
    features: license.features,
    limits: license.limits,
    instanceId: request.instanceId,
    status: license.status ?? "valid",
    iat,
    exp,
    ipk: request.publicKey,
    nonce: request.nonce,
    jti: randomUUID(),
    licenseExpiresAt: license.expiresAt.toISOString(),
    ...options.claims,
  };
  const signer = options.signWith ?? secrets().signingKeys[0]!;
  const header = b64u(JSON.stringify({ alg: "EdDSA", typ: options.typ ?? "tz-license-file+jwt", kid: signer.kid }));
  const input = `${header}.${b64u(JSON.stringify(claims))}`;
  const jws = `${input}.${b64u(sign(null, Buffer.from(input), signer.privateKey))}`;
  return JSON.stringify({
    type: "ticketzero-license-file",
    v: 1,
    license: jws,
    keySetTokens: options.keySetTokens ?? publicJwks().keySetTokens,
  });
}

const CODE_MEMBERS = ["v", "lid", "instanceId", "jti", "nonce", "deactivatedAt"];

/**
 * The payload of a deactivation code, when its signature verifies with the instance public key and
 * it has exactly the contract's members, in order (`nonce` between `jti` and `deactivatedAt`); else null.
 */
export function verifyDeactivationCode(code: string, publicKey: string): Record<string, unknown> | null {
  const match = /^TZDC1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(code);
  if (!match) return null;
  const [, part, signature] = match as unknown as [string, string, string];
  const ok = verify(
    null,
    Buffer.from(`tz-deactivation:v1.${part}`),
    instancePublicKey(publicKey),
    Buffer.from(signature, "base64url"),
  );
  if (!ok) return null;
  const payload = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
  if (Object.keys(payload).join() !== CODE_MEMBERS.join()) return null;
  if (typeof payload.nonce !== "string" || payload.nonce === "") return null;
  return payload;
}
