import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { JsonWebKeySet, LicenseStatusBody } from "./types";

/**
 * The offline cache: the guide's `license.json` (AES-256-GCM ciphertext, authenticated) and its
 * `license.key` (32 random bytes, mode 0600). A file that does not decrypt is reported as
 * invalid and treated as absent; it is overwritten at the next successful server contact.
 */

export const CACHE_FILE = "license.json";
export const KEY_FILE = "license.key";
export const INSTANCE_FILE = "instance-id";

const AAD = Buffer.from("ticketzero-license-cache:v1");

export type CacheData = {
  v: 1;
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
  /** Key set pinned at first contact. */
  pinnedJwks: JsonWebKeySet | null;
  /** Server clock at the last successful contact (ISO). */
  lastServerContact: string | null;
  /** Highest time seen (server time at contact, local time offline since): clock-rollback guard. */
  highWater: string | null;
};

export type CacheLoad = { kind: "ok"; data: CacheData } | { kind: "missing" } | { kind: "invalid"; message: string };

export function hashKey(licenseKey: string): string {
  return createHash("sha256").update(licenseKey.trim().toUpperCase()).digest("hex");
}

function writeAtomic(file: string, data: string | Buffer, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export class CacheStore {
  readonly dir: string;
  readonly cacheFile: string;
  readonly keyFile: string;

  constructor(dir: string) {
    this.dir = dir;
    this.cacheFile = path.join(dir, CACHE_FILE);
    this.keyFile = path.join(dir, KEY_FILE);
  }

  /** Reads `license.key`, creating it (0600, exclusive) when absent. */
  private key(create: boolean): Buffer | null {
    try {
      const key = fs.readFileSync(this.keyFile);
      return key.length === 32 ? key : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || !create) return null;
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(this.keyFile, randomBytes(32), { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const key = fs.readFileSync(this.keyFile);
    return key.length === 32 ? key : null;
  }

  load(): CacheLoad {
    let raw: string;
    try {
      raw = fs.readFileSync(this.cacheFile, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
      return { kind: "invalid", message: `cannot read ${CACHE_FILE}: ${(err as Error).message}` };
    }
    const key = this.key(false);
    if (!key) {
      return { kind: "invalid", message: `${KEY_FILE} is missing or malformed, ${CACHE_FILE} cannot be decrypted` };
    }
    try {
      const envelope = JSON.parse(raw) as { v?: unknown; iv?: unknown; tag?: unknown; data?: unknown };
      if (
        envelope.v !== 1 ||
        typeof envelope.iv !== "string" ||
        typeof envelope.tag !== "string" ||
        typeof envelope.data !== "string"
      ) {
        throw new Error("unexpected format");
      }
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(envelope.iv, "base64"));
      decipher.setAAD(AAD);
      decipher.setAuthTag(Buffer.from(envelope.tag, "base64"));
      const plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, "base64")), decipher.final()]);
      const data = JSON.parse(plain.toString("utf8")) as CacheData;
      if (data.v !== 1 || typeof data.keyHash !== "string") throw new Error("unexpected content");
      return { kind: "ok", data };
    } catch {
      return {
        kind: "invalid",
        message: `${CACHE_FILE} failed authentication (tampered, corrupted or encrypted under another ${KEY_FILE}); ignoring it`,
      };
    }
  }

  save(data: CacheData): void {
    const key = this.key(true);
    if (!key) throw new Error(`${KEY_FILE} is malformed`);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(AAD);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
    const envelope = {
      v: 1,
      alg: "A256GCM",
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: ciphertext.toString("base64"),
    };
    writeAtomic(this.cacheFile, `${JSON.stringify(envelope)}\n`, 0o600);
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
