/**
 * Air-gapped activation, the installation's side of docs/AIR-GAPPED.md: the instance key, the
 * activation request file, the license file's import rules and the deactivation code. Pure
 * formats and checks; the client (client.ts) keeps the state in its encrypted cache.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  pbkdf2,
  randomBytes,
  sign,
} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from "jose";
import { LICENSE_FILE_JWT_TYPE, normaliseClaims, proveKeys } from "./certificate.js";
import { keyPrefix, normaliseKey } from "./keys.js";
import type { ActivationRequestResult, CertificateClaims, JsonWebKeySet, OfflineDeactivation } from "./types.js";
import { CLIENT_ID } from "./version.js";

export const INSTANCE_KEY_FILE = "instance-key.pem";
export const REQUEST_TYPE = "ticketzero-activation-request";
export const LICENSE_FILE_TYPE = "ticketzero-license-file";
export { LICENSE_FILE_JWT_TYPE };
export const REQUEST_SIGNING_PREFIX = "tz-activation-request:v1.";
/** The proof key's PBKDF2 salt is this and the request's nonce. */
export const PROOF_SALT_PREFIX = "tz-activation-request:v1:";
export const PROOF_KDF_ITERATIONS = 200_000;
export const DEACTIVATION_SIGNING_PREFIX = "tz-deactivation:v1.";
export const DEACTIVATION_CODE_PREFIX = "TZDC1.";
/** The portal refuses bigger request files; the client never writes one. */
export const MAX_REQUEST_FILE_BYTES = 16 * 1024;
/** A license file is a JWS and a few key-set tokens: anything this big is not one. */
const MAX_LICENSE_FILE_CHARS = 256 * 1024;

const b64u = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export type InstanceKey = { privateKey: KeyObject; publicKey: KeyObject; publicKeyB64u: string };

function instanceKeyOf(privateKey: KeyObject): InstanceKey {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`${INSTANCE_KEY_FILE} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  const { x } = publicKey.export({ format: "jwk" }) as { x: string };
  return { privateKey, publicKey, publicKeyB64u: x };
}

/** Reads `dataDir/instance-key.pem`, or creates it (PKCS#8 PEM, mode 0600) on first use. */
export function loadOrCreateInstanceKey(dataDir: string): InstanceKey {
  const file = path.join(dataDir, INSTANCE_KEY_FILE);
  try {
    return instanceKeyOf(createPrivateKey(fs.readFileSync(file, "utf8")));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  // Written aside, then linked into place: two processes creating it at once agree on one key.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(temp, pem, { mode: 0o600 });
  try {
    fs.linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return instanceKeyOf(createPrivateKey(fs.readFileSync(file, "utf8")));
}

/** Only the instance key's public half, when it exists (import checks `ipk` against it). */
export function readInstancePublicKey(dataDir: string): string | null {
  try {
    return instanceKeyOf(createPrivateKey(fs.readFileSync(path.join(dataDir, INSTANCE_KEY_FILE), "utf8")))
      .publicKeyB64u;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- activation request

export type ActivationRequestPayload = ActivationRequestResult["request"];

export type ActivationRequestFile = {
  type: typeof REQUEST_TYPE;
  v: 1;
  request: string;
  proof: string;
  signature: string;
};

const pbkdf2Async = promisify(pbkdf2);

/**
 * The proof that the request was made with the license key, without carrying it:
 * HMAC-SHA256(proofKey, 'tz-activation-request:v1.' + request), where proofKey =
 * PBKDF2-HMAC-SHA256(normalised key, 'tz-activation-request:v1:' + nonce, 200 000 iterations, 32 bytes).
 * The slow, per-request derivation keeps a short key out of reach of whoever holds the file.
 */
export async function requestProof(licenseKey: string, request: string, nonce: string): Promise<string> {
  const proofKey = await pbkdf2Async(
    normaliseKey(licenseKey),
    PROOF_SALT_PREFIX + nonce,
    PROOF_KDF_ITERATIONS,
    32,
    "sha256",
  );
  return createHmac("sha256", proofKey)
    .update(REQUEST_SIGNING_PREFIX + request)
    .digest("base64url");
}

export async function buildActivationRequest(input: {
  licenseKey: string;
  instanceId: string;
  instanceName: string;
  instanceKey: InstanceKey;
  now: Date;
}): Promise<{ file: ActivationRequestFile; payload: ActivationRequestPayload; content: string }> {
  const payload: ActivationRequestPayload = {
    v: 1,
    keyPrefix: keyPrefix(input.licenseKey),
    instanceId: input.instanceId,
    // 1–200 characters: a long host name is cut, an empty one named.
    instanceName: [...(input.instanceName.trim() || "installation")].slice(0, 200).join(""),
    publicKey: input.instanceKey.publicKeyB64u,
    nonce: b64u(randomBytes(16)),
    createdAt: input.now.toISOString(),
    client: CLIENT_ID,
  };
  const request = b64u(JSON.stringify(payload));
  const file: ActivationRequestFile = {
    type: REQUEST_TYPE,
    v: 1,
    request,
    proof: await requestProof(input.licenseKey, request, payload.nonce),
    signature: b64u(sign(null, Buffer.from(REQUEST_SIGNING_PREFIX + request), input.instanceKey.privateKey)),
  };
  return { file, payload, content: `${JSON.stringify(file, null, 2)}\n` };
}

/**
 * Writes the request file whole or not at all (aside, then renamed into place); a failure throws
 * the fs error (ENOENT for a missing directory) and leaves nothing behind.
 */
export function writeRequestFile(target: string, content: string): void {
  const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    fs.writeFileSync(temp, content, { mode: 0o644, flag: "wx" });
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------- license file

/** Claims of a license file: the certificate's, plus the four air-gapped ones. */
export type LicenseFileClaims = CertificateClaims & {
  ipk: string | null;
  nonce: string | null;
  jti: string | null;
  licenseExpiresAt: string | null;
};

export type LicenseFileCheck =
  | { ok: true; claims: LicenseFileClaims }
  | { ok: false; rule: 1 | 2 | 3 | 4 | 5; message: string; claims?: LicenseFileClaims };

export type LicenseFileBinding = {
  /** The trust anchors (configured or shipped, or the TOFU pin); never keys read from the file alone. */
  anchors: JsonWebKeySet | null;
  /** Key-set proofs already in the cache (chained from the anchors again here). */
  keySetTokens: readonly string[];
  instanceId: string;
  instancePublicKey: string | null;
  /** The nonce of the last request written and not deactivated since (`offlineRequestNonce`). */
  expectedNonce: string | null;
  now: Date;
  skewMs: number;
};

const refuse = (rule: 1 | 2 | 3 | 4 | 5, message: string, claims?: LicenseFileClaims): LicenseFileCheck => ({
  ok: false,
  rule,
  message: `rule ${rule}: ${message}`,
  ...(claims ? { claims } : {}),
});

function stringClaim(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** Parses the license-file JSON (rule 1: format); the JWS is returned unverified. */
export function parseLicenseFile(
  text: string,
): { ok: true; license: string; keySetTokens: string[] } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: "rule 1: not JSON" };
  }
  const file = value as { type?: unknown; v?: unknown; license?: unknown; keySetTokens?: unknown } | null;
  if (!file || typeof file !== "object" || file.type !== LICENSE_FILE_TYPE || file.v !== 1) {
    return { ok: false, message: `rule 1: not a license file (type must be "${LICENSE_FILE_TYPE}", v 1)` };
  }
  if (typeof file.license !== "string") return { ok: false, message: "rule 1: the license member is missing" };
  const keySetTokens = Array.isArray(file.keySetTokens)
    ? file.keySetTokens.filter((t): t is string => typeof t === "string")
    : [];
  return { ok: true, license: file.license, keySetTokens };
}

/**
 * The five import rules of docs/AIR-GAPPED.md, in order. A failure names its rule. With
 * `atImport: false` (answering from the already imported file) rules 1–3 are checked again and
 * rules 4–5 are the caller's: a renewal request changes the pending nonce while the current file
 * keeps working, and the caller tells an expired file from a clock rollback.
 */
export async function checkLicenseFile(
  text: string,
  binding: LicenseFileBinding,
  options: { atImport?: boolean } = {},
): Promise<LicenseFileCheck> {
  if (text.length > MAX_LICENSE_FILE_CHARS) return refuse(1, `larger than ${MAX_LICENSE_FILE_CHARS} characters`);
  const parsed = parseLicenseFile(text);
  if (!parsed.ok) return { ok: false, rule: 1, message: parsed.message };
  let header: { alg?: unknown; typ?: unknown; kid?: unknown };
  try {
    header = decodeProtectedHeader(parsed.license);
  } catch {
    return refuse(1, "the license member is not a compact JWS");
  }
  if (header.typ !== LICENSE_FILE_JWT_TYPE) {
    return refuse(
      1,
      `the JWS header typ is ${JSON.stringify(header.typ ?? null)}, not "${LICENSE_FILE_JWT_TYPE}" (an online certificate is not a license file)`,
    );
  }
  if (header.alg !== "EdDSA") return refuse(1, `the JWS alg is ${JSON.stringify(header.alg ?? null)}, not "EdDSA"`);

  if (!binding.anchors || binding.anchors.keys.length === 0) {
    return refuse(2, "no trusted vendor signing keys are configured");
  }
  const trusted = (await proveKeys(binding.anchors, [...binding.keySetTokens, ...parsed.keySetTokens])).jwks;
  const kid = typeof header.kid === "string" ? header.kid : null;
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(
      parsed.license,
      createLocalJWKSet(trusted as Parameters<typeof createLocalJWKSet>[0]),
      { algorithms: ["EdDSA"] },
    );
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    return refuse(
      2,
      `the signature does not verify against the trusted vendor keys (signed with key "${kid ?? "(no kid)"}")`,
    );
  }
  const base = payload && typeof payload === "object" ? normaliseClaims(payload, kid) : null;
  if (!base) return refuse(1, "the license carries no exp claim");
  const claims: LicenseFileClaims = {
    ...base,
    ipk: stringClaim(payload.ipk),
    nonce: stringClaim(payload.nonce),
    jti: stringClaim(payload.jti),
    licenseExpiresAt: stringClaim(payload.licenseExpiresAt),
  };

  const missing = [
    claims.limits ? null : "limits",
    claims.licenseId ? null : "lid",
    claims.jti ? null : "jti",
    claims.nonce ? null : "nonce",
    claims.ipk ? null : "ipk",
    claims.instanceId ? null : "instanceId",
    claims.issuedAt ? null : "iat",
  ].filter((name) => name !== null);
  if (missing.length > 0) return refuse(1, `the license lacks the claims ${missing.join(", ")}`);

  if (claims.instanceId !== binding.instanceId) {
    return refuse(3, `the file was issued to instance ${claims.instanceId ?? "(none)"}, not ${binding.instanceId}`);
  }
  if (binding.instancePublicKey === null) {
    return refuse(3, "this installation has no instance key (write an activation request first)");
  }
  if (claims.ipk !== binding.instancePublicKey) {
    return refuse(3, "the file is bound to another instance key (ipk) than this installation's");
  }
  if (options.atImport === false) return { ok: true, claims };
  if (binding.expectedNonce === null) {
    return refuse(4, "no activation request is pending (none written, or deactivated since): write a new request");
  }
  if (claims.nonce !== binding.expectedNonce) {
    return refuse(4, "the file answers another activation request than the last one this installation wrote");
  }
  const at = binding.now.getTime();
  if (claims.expiresAt.getTime() <= at) {
    return refuse(5, `the file expired at ${claims.expiresAt.toISOString()}`, claims);
  }
  if (claims.issuedAt && claims.issuedAt.getTime() > at + binding.skewMs) {
    return refuse(
      5,
      `the file was issued at ${claims.issuedAt.toISOString()}, after the local clock (${binding.now.toISOString()})`,
      claims,
    );
  }
  return { ok: true, claims };
}

// ---------------------------------------------------------------- deactivation code

export type DeactivationPayload = OfflineDeactivation["payload"];

/** `TZDC1.<b64u(payload)>.<b64u(Ed25519 signature over 'tz-deactivation:v1.' + payload part)>`. */
export function buildDeactivationCode(payload: DeactivationPayload, instanceKey: InstanceKey): string {
  const part = b64u(JSON.stringify(payload));
  const signature = sign(null, Buffer.from(DEACTIVATION_SIGNING_PREFIX + part), instanceKey.privateKey);
  return `${DEACTIVATION_CODE_PREFIX}${part}.${b64u(signature)}`;
}
