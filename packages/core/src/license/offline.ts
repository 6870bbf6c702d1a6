/**
 * Air-gapped installations (docs/AIR-GAPPED.md): an activation request file in, a signed license
 * file out; a signed deactivation code frees the slot. The slot itself is taken and freed by
 * activations.ts, under the same lock and rules as an online activation, so the limits and the
 * churn rules hold whichever way an installation is licensed.
 *
 * Who may act is the caller's check (an account admin of `licenseId`, or staff); this module
 * makes sure a request or code applies to the license it is used on.
 */
import { createHmac, createPublicKey, pbkdf2, timingSafeEqual, verify } from "node:crypto";
import { promisify } from "node:util";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "../db/client";
import { activations, licenses } from "../db/schema";
import { config } from "../server/config";
import { consumeRequestFileBudget } from "../server/rate-limit";
import {
  activateLicense,
  type DeactivatedBy,
  type DeactivateResult,
  deactivateInstallation,
  INSTANCE_ID_PATTERN,
} from "./activations";
import { type Context, recordAudit } from "./audit";
import { publicJwks, signLicenseFileToken } from "./certificate";
import { LicenseError } from "./errors";
import { factsOf, type LicenseRow } from "./licenses";
import { classify, effectiveEnd } from "./status";
import { decryptKey } from "./vault";

export const REQUEST_FILE_MAX_BYTES = 16 * 1024;
const REQUEST_MAX_AGE_MS = 30 * 86_400_000;
const REQUEST_MAX_FUTURE_MS = 5 * 60_000;
const REQUEST_CONTEXT = "tz-activation-request:v1.";
const DEACTIVATION_CONTEXT = "tz-deactivation:v1.";
const DEACTIVATION_PREFIX = "TZDC1";
/** The proof's key derivation: slow and salted per request, so a request file does not give the key away. */
const PROOF_ITERATIONS = 200_000;
const pbkdf2Async = promisify(pbkdf2);
/**
 * Derivations at once in this process: each holds a libuv thread for ~50 ms, and the pool (4
 * threads) also serves file, DNS and zlib work, which must not queue behind a burst of uploads.
 */
const MAX_CONCURRENT_DERIVATIONS = 1;
let derivationsRunning = 0;
const derivationQueue: Array<() => void> = [];

async function oneDerivationAtATime<T>(work: () => Promise<T>): Promise<T> {
  if (derivationsRunning >= MAX_CONCURRENT_DERIVATIONS) {
    await new Promise<void>((resolve) => derivationQueue.push(resolve));
  } else {
    derivationsRunning++;
  }
  try {
    return await work();
  } finally {
    const next = derivationQueue.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else derivationsRunning--;
  }
}

/**
 * Where a request or code applies: the license it is uploaded on (License & Billing, the back
 * office's license page, the CLI's `--key`); a code may also be entered for whichever license it names (staff).
 */
export type OfflineScope = { licenseId: string } | { anyLicense: true };

const b64u = (bytes: number) => z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`));

const requestFileSchema = z.strictObject({
  type: z.literal("ticketzero-activation-request"),
  v: z.literal(1),
  request: z.string().regex(/^[A-Za-z0-9_-]{1,8192}$/),
  proof: b64u(32),
  signature: b64u(64),
});

const requestPayloadSchema = z.strictObject({
  v: z.literal(1),
  keyPrefix: z.enum(["TZ-STA", "TZ-PRO", "TZ-ENT", "TZ-TRIAL"]),
  instanceId: z.string().regex(INSTANCE_ID_PATTERN),
  instanceName: z.string().trim().min(1).max(200),
  publicKey: b64u(32),
  nonce: b64u(16),
  createdAt: z.iso.datetime(),
  client: z.string().max(100),
});

const codePayloadSchema = z.strictObject({
  v: z.literal(1),
  lid: z.uuid(),
  instanceId: z.string().regex(INSTANCE_ID_PATTERN),
  jti: z.string().min(1).max(100),
  nonce: b64u(16),
  deactivatedAt: z.iso.datetime(),
});

export type ActivationRequest = z.infer<typeof requestPayloadSchema>;

function invalidRequest(why: string): LicenseError {
  return new LicenseError("INVALID_REQUEST_FILE", `That is not a valid TicketZero activation request file: ${why}.`);
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

function instanceKey(publicKey: string) {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
}

function signedBy(publicKey: string, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message), instanceKey(publicKey), Buffer.from(signature, "base64url"));
  } catch {
    return false;
  }
}

/**
 * Checks a request file's shape and its instance signature (which needs no license): what a
 * staff member or an admin uploaded is refused before any license is looked at.
 */
export function parseRequestFile(
  text: string,
  now: Date,
): { payload: ActivationRequest; request: string; proof: string } {
  if (Buffer.byteLength(text, "utf8") > REQUEST_FILE_MAX_BYTES) {
    throw invalidRequest(`it is larger than ${REQUEST_FILE_MAX_BYTES / 1024} KiB`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidRequest("it is not JSON (choose the file `tz-license offline-request` wrote)");
  }
  const file = requestFileSchema.safeParse(json);
  if (!file.success) throw invalidRequest("its members are not those of a request file");
  const payload = requestPayloadSchema.safeParse(decodeJson(file.data.request));
  if (!payload.success) throw invalidRequest("its request part is malformed");
  if (!signedBy(payload.data.publicKey, REQUEST_CONTEXT + file.data.request, file.data.signature)) {
    throw invalidRequest("its signature does not verify (the file was changed after it was written)");
  }
  const created = Date.parse(payload.data.createdAt);
  if (created < now.getTime() - REQUEST_MAX_AGE_MS || created > now.getTime() + REQUEST_MAX_FUTURE_MS) {
    throw new LicenseError(
      "REQUEST_EXPIRED",
      `This request file was written ${payload.data.createdAt}; request files are accepted for 30 days. Write a new one on the installation.`,
    );
  }
  return { payload: payload.data, request: file.data.request, proof: file.data.proof };
}

/** HMAC-SHA256 keyed with PBKDF2(license key, per-request salt): docs/AIR-GAPPED.md. */
export async function requestProof(licenseKey: string, nonce: string, request: string): Promise<Buffer> {
  const proofKey = await oneDerivationAtATime(() =>
    pbkdf2Async(licenseKey.trim().toUpperCase(), `tz-activation-request:v1:${nonce}`, PROOF_ITERATIONS, 32, "sha256"),
  );
  return createHmac("sha256", proofKey)
    .update(REQUEST_CONTEXT + request)
    .digest();
}

/** The license the request is uploaded on, and its key, when the proof was made with that key. */
async function licenseOfProof(
  licenseId: string,
  payload: ActivationRequest,
  request: string,
  proof: string,
): Promise<{ license: LicenseRow; key: string }> {
  const [license] = await getDb().select().from(licenses).where(eq(licenses.id, licenseId));
  if (license) {
    await consumeRequestFileBudget(license.id);
    const key = decryptKey(license.keyCiphertext);
    const mac = await requestProof(key, payload.nonce, request);
    const wanted = Buffer.from(proof, "base64url");
    if (mac.length === wanted.length && timingSafeEqual(mac, wanted)) return { license, key };
  }
  throw new LicenseError(
    "REQUEST_FOR_OTHER_LICENSE",
    `This request file was made with another license key (a ${payload.keyPrefix} key) than this license's. Upload it on that license's page, or make the request with this license's key.`,
  );
}

export type IssuedLicenseFile = {
  license: LicenseRow;
  instanceId: string;
  instanceName: string;
  expiresAt: Date;
  fileName: string;
  fileText: string;
  /** The installation already had a slot (a renewal, or the same request uploaded again). */
  renewal: boolean;
};

/**
 * Activates (or renews) the installation of a request file and answers its license file: valid
 * until the license's end or `OFFLINE_LICENSE_MAX_DAYS`, whichever is first.
 */
export async function issueLicenseFile(
  text: string,
  scope: { licenseId: string },
  ctx: Context,
): Promise<IssuedLicenseFile> {
  const now = ctx.now ?? new Date();
  const { payload, request, proof } = parseRequestFile(text, now);
  const { license, key } = await licenseOfProof(scope.licenseId, payload, request, proof);
  const maxEnd = new Date(now.getTime() + config().offlineLicenseMaxDays * 86_400_000);
  const end = effectiveEnd(factsOf(license));
  const fileExpiresAt = end < maxEnd ? end : maxEnd;
  const result = await activateLicense(
    {
      licenseKey: key,
      instanceId: payload.instanceId,
      instanceName: payload.instanceName,
      airGapped: {
        publicKey: payload.publicKey,
        nonce: payload.nonce,
        fileExpiresAt,
        signFile: (locked, file) => {
          const facts = factsOf(locked);
          return signLicenseFileToken({
            iss: "ticketzero-license-portal",
            sub: locked.id,
            lid: locked.id,
            plan: facts.plan,
            features: locked.features,
            limits: {
              maxClients: locked.maxClients,
              maxTicketsPerMonth: locked.maxTicketsPerMonth,
              maxActivations: locked.maxActivations,
            },
            instanceId: file.instanceId,
            status: classify(facts, now).status,
            iat: Math.floor(now.getTime() / 1000),
            exp: Math.floor(file.expiresAt.getTime() / 1000),
            ipk: payload.publicKey,
            nonce: payload.nonce,
            jti: file.id,
            licenseExpiresAt: effectiveEnd(facts).toISOString(),
          });
        },
      },
    },
    ctx,
  );
  const activation = result.activation;
  if (!activation.licenseFile || !activation.licenseFileExpiresAt || activation.licenseFileNonce !== payload.nonce) {
    throw new LicenseError("INTERNAL", "The license file was not recorded.");
  }
  const renewal = !result.created;
  await recordAudit(getDb(), ctx, {
    licenseId: license.id,
    action: "activation.license_file_issued",
    detail: {
      instanceId: payload.instanceId,
      licenseFileId: activation.licenseFileId,
      expiresAt: activation.licenseFileExpiresAt.toISOString(),
      renewal,
    },
  });
  return {
    license: result.license,
    instanceId: activation.instanceId,
    instanceName: activation.instanceName ?? payload.instanceName,
    expiresAt: activation.licenseFileExpiresAt,
    fileName: licenseFileName(activation.instanceId),
    fileText: licenseFileJson(activation.licenseFile),
    renewal,
  };
}

export function licenseFileName(instanceId: string): string {
  return `ticketzero-license-${instanceId.replace(/[^A-Za-z0-9._-]/g, "_")}.json`;
}

/** The file an installation imports: the signed token plus the key-set proofs for rotated keys. */
function licenseFileJson(token: string): string {
  const file = { type: "ticketzero-license-file", v: 1, license: token, keySetTokens: publicJwks().keySetTokens };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** The current license file of an air-gapped installation of `licenseId`, for download; null if none. */
export async function currentLicenseFile(
  licenseId: string,
  instanceId: string,
): Promise<{ fileName: string; fileText: string } | null> {
  const [row] = await getDb()
    .select({ file: activations.licenseFile, deactivatedAt: activations.deactivatedAt })
    .from(activations)
    .where(and(eq(activations.licenseId, licenseId), eq(activations.instanceId, instanceId)));
  if (!row?.file || row.deactivatedAt) return null;
  return { fileName: licenseFileName(instanceId), fileText: licenseFileJson(row.file) };
}

function invalidCode(why: string): LicenseError {
  return new LicenseError("INVALID_DEACTIVATION_CODE", `That deactivation code is not valid: ${why}.`);
}

/**
 * Frees the slot of the air-gapped installation whose signed deactivation code this is (it
 * deleted its license file). Idempotent: the same code again answers the earlier result.
 */
export async function deactivateWithCode(
  rawCode: string,
  scope: OfflineScope,
  ctx: Context,
  by: DeactivatedBy,
): Promise<DeactivateResult & { licenseId: string }> {
  const code = typeof rawCode === "string" ? rawCode.replace(/\s+/g, "") : "";
  if (code.length === 0 || code.length > 2048) throw invalidCode("paste the whole code the installation printed");
  const [prefix, payloadPart, signature, ...rest] = code.split(".");
  if (prefix !== DEACTIVATION_PREFIX || !payloadPart || !signature || rest.length > 0) {
    throw invalidCode(`it must start with ${DEACTIVATION_PREFIX}. and have three parts`);
  }
  const parsed = codePayloadSchema.safeParse(decodeJson(payloadPart));
  if (!parsed.success) throw invalidCode("its content is malformed");
  const { lid, instanceId, jti, nonce } = parsed.data;
  if ("licenseId" in scope && scope.licenseId !== lid)
    throw invalidCode("it is for an installation of another license");
  const [row] = await getDb()
    .select({ publicKey: activations.instancePublicKey })
    .from(activations)
    .where(and(eq(activations.licenseId, lid), eq(activations.instanceId, instanceId)));
  if (!row?.publicKey) throw invalidCode(`no air-gapped installation "${instanceId}" is known for this license`);
  if (!signedBy(row.publicKey, `${DEACTIVATION_CONTEXT}${payloadPart}`, signature)) {
    throw invalidCode("its signature does not verify (a character is missing or changed)");
  }
  const result = await deactivateInstallation({ licenseId: lid }, instanceId, ctx, by, { licenseFileId: jti, nonce });
  return { ...result, licenseId: lid };
}
