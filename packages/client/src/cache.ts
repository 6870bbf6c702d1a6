import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { JsonWebKeySet, LicenseStatusBody } from "./types.js";

/**
 * The offline cache: the guide's `license.json`, AES-256-GCM (authenticated). There is no key
 * file: the key is derived with HKDF-SHA256 from the license key and the instance id (plus the
 * optional `cacheSecret`, e.g. from an OS keyring), and the AAD binds the ciphertext to the
 * instance id and the license key's hash. A cache copied to another instance, written for
 * another key, re-encrypted under another secret or modified fails authentication and is
 * reported as invalid (treated as absent; overwritten at the next successful server contact).
 *
 * The encryption keeps the cache private from other users and detects accidents and copies; it
 * is NOT what makes offline operation unforgeable (whoever knows the license key and the
 * instance id can re-encrypt anything). That rests on the certificate's signature, verified
 * against the shipped or configured vendor keys on every load (see docs/INTEGRATION.md,
 * "Threat model").
 */

export const CACHE_FILE = "license.json";
/** Written by clients before v2; removed at the next save (the key is derived now). */
export const LEGACY_KEY_FILE = "license.key";
export const INSTANCE_FILE = "instance-id";

const CACHE_VERSION = 2;

export type CacheData = {
  v: 2;
  serverUrl: string;
  /** SHA-256 of the license key: a cache written for another key is ignored. */
  keyHash: string;
  instanceId: string;
  /** This instance has been activated (set on 200/201 from activate-license). */
  activated: boolean;
  /** `deactivate()` was called: no automatic re-activation. */
  deactivated: boolean;
  /** Last status body from the server (certificate removed when the server said invalid). */
  status: LicenseStatusBody | null;
  certificate: string | null;
  /**
   * Key-set proofs (`keySetTokens` of `GET /api/public-key`) that chain from the trust anchors
   * to newer signing keys. Never trusted as they are: re-verified from the anchors at every use.
   */
  keySetTokens: string[];
  /** Only with `trustOnFirstUse`: the key set the server published at first contact. */
  tofuJwks: JsonWebKeySet | null;
  /**
   * Newest certificate `iat` seen (ISO; signed by the server): the clock-rollback high-water
   * mark and the start of the offline grace period. Never raised from the local clock.
   */
  signedHighWater: string | null;
  /** After 409 ACTIVATION_LIMIT_REACHED: no automatic activation before this time (ISO). */
  activationRetryAt: string | null;
  /** The refusal to repeat until `activationRetryAt`. */
  activationRefusal: { code: string; message: string } | null;
  // Air-gapped operation (docs/AIR-GAPPED.md "Cache members"): optional, so caches written before
  // (or by a client without air-gapped support) still load. Members this client does not know are
  // kept as they are when it saves (the Python client shares this file).
  /** Nonce of the last activation request written and not deactivated since. */
  offlineRequestNonce?: string | null;
  /** The imported license-file JSON, exactly as imported. */
  licenseFile?: string | null;
  /** Newest local time seen while answering from the license file (ISO); raised at most once a minute. */
  localHighWater?: string | null;
  /** Tickets and clients counted locally while answering from the license file. */
  localUsage?: LocalUsage | null;
};

/** `period` is the UTC calendar month (`YYYY-MM`) the counts belong to. */
export type LocalUsage = { period: string; tickets: number; clients: number };

export type CacheLoad = { kind: "ok"; data: CacheData } | { kind: "missing" } | { kind: "invalid"; message: string };

export function hashKey(licenseKey: string): string {
  return createHash("sha256").update(licenseKey.trim().toUpperCase()).digest("hex");
}

function writeAtomic(file: string, data: string | Buffer, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

/** HKDF-SHA256(ikm = license key [+ secret], salt, info = instance id) → 32-byte AES key. */
export function deriveCacheKey(licenseKey: string, instanceId: string, secret?: string | Buffer | null): Buffer {
  const normalised = licenseKey.trim().toUpperCase();
  const extra = secret === undefined || secret === null ? Buffer.alloc(0) : Buffer.from(secret);
  const ikm = Buffer.concat([Buffer.from(normalised, "utf8"), Buffer.from([0]), extra]);
  return Buffer.from(
    hkdfSync(
      "sha256",
      ikm,
      Buffer.from("ticketzero-license-cache:v2"),
      Buffer.from(`instance:${instanceId}`, "utf8"),
      32,
    ),
  );
}

export function cacheAad(instanceId: string, keyHash: string): Buffer {
  return Buffer.from(`ticketzero-license-cache:v2|instance=${instanceId}|key=${keyHash}`, "utf8");
}

export class CacheStore {
  readonly dir: string;
  readonly cacheFile: string;
  private readonly key: Buffer;
  private readonly aad: Buffer;
  private readonly instanceId: string;
  private readonly keyHash: string;

  constructor(dir: string, binding: { licenseKey: string; instanceId: string; secret?: string | Buffer | null }) {
    this.dir = dir;
    this.cacheFile = path.join(dir, CACHE_FILE);
    this.instanceId = binding.instanceId;
    this.keyHash = hashKey(binding.licenseKey);
    this.key = deriveCacheKey(binding.licenseKey, binding.instanceId, binding.secret);
    this.aad = cacheAad(binding.instanceId, this.keyHash);
  }

  load(): CacheLoad {
    let raw: string;
    try {
      raw = fs.readFileSync(this.cacheFile, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
      return { kind: "invalid", message: `cannot read ${CACHE_FILE}: ${(err as Error).message}` };
    }
    try {
      const envelope = JSON.parse(raw) as { v?: unknown; iv?: unknown; tag?: unknown; data?: unknown };
      if (envelope.v === 1) throw new Error("v1");
      if (
        envelope.v !== CACHE_VERSION ||
        typeof envelope.iv !== "string" ||
        typeof envelope.tag !== "string" ||
        typeof envelope.data !== "string"
      ) {
        throw new Error("unexpected format");
      }
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(envelope.iv, "base64"));
      decipher.setAAD(this.aad);
      decipher.setAuthTag(Buffer.from(envelope.tag, "base64"));
      const plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, "base64")), decipher.final()]);
      const data = JSON.parse(plain.toString("utf8")) as CacheData;
      if (data.v !== CACHE_VERSION || data.keyHash !== this.keyHash || data.instanceId !== this.instanceId) {
        throw new Error("unexpected content");
      }
      return { kind: "ok", data: { ...data, keySetTokens: Array.isArray(data.keySetTokens) ? data.keySetTokens : [] } };
    } catch (err) {
      if ((err as Error).message === "v1") {
        return {
          kind: "invalid",
          message: `${CACHE_FILE} was written by an older client (encrypted under ${LEGACY_KEY_FILE}); ignoring it until the server is reached`,
        };
      }
      return {
        kind: "invalid",
        message: `${CACHE_FILE} failed authentication (tampered, corrupted, copied from another instance, or written for another license key); ignoring it`,
      };
    }
  }

  save(data: CacheData): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(this.aad);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
    const envelope = {
      v: CACHE_VERSION,
      alg: "A256GCM",
      kdf: "HKDF-SHA256",
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: ciphertext.toString("base64"),
    };
    writeAtomic(this.cacheFile, `${JSON.stringify(envelope)}\n`, 0o600);
    // The key file of older clients is no longer used: do not leave it beside the cache.
    fs.rmSync(path.join(this.dir, LEGACY_KEY_FILE), { force: true });
  }
}

const INSTANCE_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function isValidInstanceId(id: string): boolean {
  return INSTANCE_ID_RE.test(id);
}

/** The stable instance id: given, or read from `dataDir/instance-id`, or generated (`tz-` + random). */
export function resolveInstanceId(dataDir: string, given: string | undefined): string {
  if (given !== undefined) {
    if (!isValidInstanceId(given)) throw new Error("instanceId must be 1-128 characters of A-Za-z0-9._:-");
    return given;
  }
  const file = path.join(dataDir, INSTANCE_FILE);
  try {
    const existing = fs.readFileSync(file, "utf8").trim();
    if (isValidInstanceId(existing)) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const id = `tz-${randomBytes(12).toString("hex")}`;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeAtomic(file, `${id}\n`, 0o600);
  return id;
}
