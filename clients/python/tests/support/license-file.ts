/**
 * Forges license files for the import-rule tests (docs/AIR-GAPPED.md): signed with the server's
 * real signing key (`secrets()`, the development secrets.json of DATA_DIR), but with a claim
 * overridden (another instance, key or nonce, wrong times, an online certificate's `typ`) — files
 * the portal itself never issues. The real license file comes from the portal
 * (packages/core/src/license/offline.ts, through the server CLI's `license-file`, conftest.py).
 * No activation slot is taken.
 *
 *   node --import tsx clients/python/tests/support/license-file.ts --request FILE --key KEY
 *        [--iat EPOCH] [--exp EPOCH] [--instance-id ID] [--ipk B64U] [--nonce N] [--typ T]
 *        [--omit CLAIM[,CLAIM]] (claims left out, e.g. limits)
 *
 * Prints the license file JSON; a refused request prints {"error":{code,message}} and exits 1.
 */
import { createHmac, createPublicKey, pbkdf2Sync, sign, timingSafeEqual, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { closeDb } from "@ticketzero/core/db/client";
import { publicJwks } from "@ticketzero/core/license/certificate";
import { findByKey } from "@ticketzero/core/license/licenses";
import { secrets } from "@ticketzero/core/server/secrets";

const REQUEST_CONTEXT = "tz-activation-request:v1.";
/** proofKey = PBKDF2-HMAC-SHA256(normalised key, this + nonce, 200 000 iterations, 32 bytes). */
const PROOF_SALT_PREFIX = "tz-activation-request:v1:";
const PROOF_KDF_ITERATIONS = 200_000;
const OFFLINE_LICENSE_MAX_DAYS = 90;

export class RequestRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Overrides = {
  iat?: number;
  exp?: number;
  instanceId?: string;
  ipk?: string;
  nonce?: string;
  typ?: string;
  omit?: string[];
};

const b64u = (value: string | Buffer) => Buffer.from(value).toString("base64url");

function ed25519PublicKey(raw: Buffer) {
  // SubjectPublicKeyInfo for Ed25519: a fixed 12-byte prefix and the raw 32 bytes.
  return createPublicKey({
    key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]),
    format: "der",
    type: "spki",
  });
}

/** Verifies the request file (format, members, the PBKDF2-keyed proof with the license key, instance signature). */
export function verifyActivationRequest(text: string, licenseKey: string) {
  const file = JSON.parse(text) as Record<string, unknown>;
  if (file.type !== "ticketzero-activation-request" || file.v !== 1) {
    throw new RequestRefused("INVALID_REQUEST_FILE", "not an activation request file");
  }
  const { request, proof, signature } = file as Record<string, string>;
  const message = Buffer.from(`${REQUEST_CONTEXT}${request}`);
  const payload = JSON.parse(Buffer.from(String(request), "base64url").toString("utf8")) as Record<string, unknown>;
  const members = ["v", "keyPrefix", "instanceId", "instanceName", "publicKey", "nonce", "createdAt", "client"];
  if (Object.keys(payload).sort().join() !== [...members].sort().join()) {
    throw new RequestRefused("INVALID_REQUEST_FILE", `payload members are ${Object.keys(payload).join(",")}`);
  }
  const key = licenseKey.trim().toUpperCase();
  if (payload.keyPrefix !== key.split("-").slice(0, 2).join("-")) {
    throw new RequestRefused("INVALID_REQUEST_FILE", `keyPrefix ${String(payload.keyPrefix)} is not this key's`);
  }
  const proofKey = pbkdf2Sync(key, `${PROOF_SALT_PREFIX}${String(payload.nonce)}`, PROOF_KDF_ITERATIONS, 32, "sha256");
  const expected = createHmac("sha256", proofKey).update(message).digest();
  const given = Buffer.from(String(proof), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new RequestRefused("REQUEST_FOR_OTHER_LICENSE", "the proof does not verify with this license key");
  }
  const publicKey = ed25519PublicKey(Buffer.from(String(payload.publicKey), "base64url"));
  if (!verify(null, message, publicKey, Buffer.from(String(signature), "base64url"))) {
    throw new RequestRefused("INVALID_REQUEST_FILE", "the instance signature does not verify");
  }
  return payload;
}

export async function issueLicenseFileForTests(requestText: string, licenseKey: string, overrides: Overrides = {}) {
  const payload = verifyActivationRequest(requestText, licenseKey);
  const license = await findByKey(licenseKey);
  const now = Math.floor(Date.now() / 1000);
  const iat = overrides.iat ?? now;
  const exp =
    overrides.exp ?? Math.min(Math.floor(license.expiresAt.getTime() / 1000), iat + OFFLINE_LICENSE_MAX_DAYS * 86_400);
  const claims: Record<string, unknown> = {
    iss: "ticketzero-license-portal",
    sub: license.id,
    lid: license.id,
    plan: license.plan,
    features: license.features,
    limits: {
      maxClients: license.maxClients,
      maxTicketsPerMonth: license.maxTicketsPerMonth,
      maxActivations: license.maxActivations,
    },
    instanceId: overrides.instanceId ?? payload.instanceId,
    status: license.plan === "trial" ? "trial" : "valid",
    iat,
    exp,
    ipk: overrides.ipk ?? payload.publicKey,
    nonce: overrides.nonce ?? payload.nonce,
    jti: `lf-${crypto.randomUUID()}`,
    licenseExpiresAt: license.expiresAt.toISOString(),
  };
  for (const name of overrides.omit ?? []) delete claims[name];
  const { kid, privateKey } = secrets().signingKeys[0]!;
  const header = b64u(JSON.stringify({ alg: "EdDSA", typ: overrides.typ ?? "tz-license-file+jwt", kid }));
  const input = `${header}.${b64u(JSON.stringify(claims))}`;
  const token = `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
  return { type: "ticketzero-license-file", v: 1, license: token, keySetTokens: publicJwks().keySetTokens };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      request: { type: "string" },
      key: { type: "string" },
      iat: { type: "string" },
      exp: { type: "string" },
      "instance-id": { type: "string" },
      ipk: { type: "string" },
      nonce: { type: "string" },
      typ: { type: "string" },
      omit: { type: "string", multiple: true },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  try {
    const file = await issueLicenseFileForTests(readFileSync(values.request!, "utf8"), values.key!, {
      iat: num(values.iat),
      exp: num(values.exp),
      instanceId: values["instance-id"],
      ipk: values.ipk,
      nonce: values.nonce,
      typ: values.typ,
      omit: values.omit?.flatMap((v) => v.split(",")),
    });
    console.log(JSON.stringify(file, null, 2));
  } catch (err) {
    const code = err instanceof RequestRefused ? err.code : ((err as { code?: string }).code ?? "ERROR");
    console.log(JSON.stringify({ error: { code, message: (err as Error).message } }));
    process.exitCode = 1;
  } finally {
    await closeDb();
  }
}
