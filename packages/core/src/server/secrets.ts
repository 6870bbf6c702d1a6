/**
 * Server secrets: the HMAC secret for key lookups, AES-256-GCM keys for key
 * ciphertexts, Ed25519 keys for certificates. Each encryption and signing key
 * has a key id (`kid`); the first of each list is current, older ones still
 * decrypt and verify, so keys rotate by prepending a new one.
 *
 * Production (APP_ENV=production) reads them from the environment and refuses
 * to start without them. Elsewhere, unless the environment sets them, they are
 * generated on first run into `<DATA_DIR>/secrets.json` (mode 0600), the
 * guide's `license.key`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { config } from "./config";

export type SigningKey = { kid: string; privateKey: KeyObject; publicKey: KeyObject };
export type Secrets = {
  hmacSecret: Buffer;
  encryptionKeys: { kid: string; key: Buffer }[];
  signingKeys: SigningKey[];
};

type StoredSecrets = {
  hmacSecret: string;
  encryptionKeys: { kid: string; key: string }[];
  signingKeys: { kid: string; pkcs8: string }[];
};

/** `kid:base64,kid:base64` → pairs. */
function parseKeyList(name: string, raw: string): { kid: string; value: Buffer }[] {
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(":");
      if (at < 1) throw new Error(`${name}: each entry is kid:base64`);
      return { kid: entry.slice(0, at), value: Buffer.from(entry.slice(at + 1), "base64") };
    });
}

function fromStored(stored: StoredSecrets): Secrets {
  return {
    hmacSecret: Buffer.from(stored.hmacSecret, "base64"),
    encryptionKeys: stored.encryptionKeys.map((k) => ({ kid: k.kid, key: Buffer.from(k.key, "base64") })),
    signingKeys: stored.signingKeys.map((k) => signingKey(k.kid, Buffer.from(k.pkcs8, "base64"))),
  };
}

function signingKey(kid: string, pkcs8: Buffer): SigningKey {
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`signing key ${kid} is not Ed25519`);
  return { kid, privateKey, publicKey: createPublicKey(privateKey) };
}

function fromEnvironment(): Secrets | null {
  const { LICENSE_HMAC_SECRET, LICENSE_ENCRYPTION_KEYS, LICENSE_SIGNING_KEYS } = process.env;
  if (!LICENSE_HMAC_SECRET && !LICENSE_ENCRYPTION_KEYS && !LICENSE_SIGNING_KEYS) return null;
  if (!LICENSE_HMAC_SECRET || !LICENSE_ENCRYPTION_KEYS || !LICENSE_SIGNING_KEYS) {
    throw new Error("Set all of LICENSE_HMAC_SECRET, LICENSE_ENCRYPTION_KEYS and LICENSE_SIGNING_KEYS, or none");
  }
  const hmacSecret = Buffer.from(LICENSE_HMAC_SECRET, "base64");
  if (hmacSecret.length < 32) throw new Error("LICENSE_HMAC_SECRET must be at least 32 bytes (base64)");
  const encryptionKeys = parseKeyList("LICENSE_ENCRYPTION_KEYS", LICENSE_ENCRYPTION_KEYS).map(({ kid, value }) => {
    if (value.length !== 32) throw new Error(`LICENSE_ENCRYPTION_KEYS: key ${kid} must be 32 bytes`);
    return { kid, key: value };
  });
  const signingKeys = parseKeyList("LICENSE_SIGNING_KEYS", LICENSE_SIGNING_KEYS).map(({ kid, value }) =>
    signingKey(kid, value),
  );
  if (!encryptionKeys.length || !signingKeys.length) throw new Error("LICENSE_*_KEYS need at least one key");
  return { hmacSecret, encryptionKeys, signingKeys };
}

/** Fresh secrets in their stored form; `npm run license -- secrets` prints them as environment lines. */
export function generateStoredSecrets(): StoredSecrets {
  const { privateKey } = generateKeyPairSync("ed25519");
  const stamp = new Date().toISOString().slice(0, 10).replaceAll("-", "");
  return {
    hmacSecret: randomBytes(32).toString("base64"),
    encryptionKeys: [{ kid: `enc-${stamp}`, key: randomBytes(32).toString("base64") }],
    signingKeys: [
      { kid: `sig-${stamp}`, pkcs8: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64") },
    ],
  };
}

function fromDataDir(dataDir: string): Secrets {
  const file = path.join(dataDir, "secrets.json");
  try {
    return fromStored(JSON.parse(readFileSync(file, "utf8")));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Write aside, then link into place: two processes starting at once agree on one file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(generateStoredSecrets(), null, 2), { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return fromStored(JSON.parse(readFileSync(file, "utf8")));
}

export function loadSecrets(): Secrets {
  const fromEnv = fromEnvironment();
  if (fromEnv) return fromEnv;
  if (config().isProduction) {
    throw new Error(
      "APP_ENV=production needs LICENSE_HMAC_SECRET, LICENSE_ENCRYPTION_KEYS and LICENSE_SIGNING_KEYS (see README)",
    );
  }
  return fromDataDir(config().dataDir);
}

let loaded: Secrets | null = null;
/** Loaded once per process (the core is one module instance per process: scripts/build-core.ts). */
export function secrets(): Secrets {
  loaded ??= loadSecrets();
  return loaded;
}
