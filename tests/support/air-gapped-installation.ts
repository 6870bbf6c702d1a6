/**
 * A hostile-or-honest installation for the portal's side of air-gapped activation: writes request
 * files and deactivation codes exactly per docs/AIR-GAPPED.md with node:crypto only, so the tests
 * can also write the malformed ones no client library would.
 */
import { createHmac, generateKeyPairSync, type KeyObject, pbkdf2Sync, randomBytes, sign } from "node:crypto";

const b64u = (value: Buffer | string) => Buffer.from(value).toString("base64url");

/** docs/AIR-GAPPED.md: PBKDF2-HMAC-SHA256(key, 'tz-activation-request:v1:' + nonce, 200 000, 32). */
const proofKeyOf = (licenseKey: string, nonce: string) =>
  pbkdf2Sync(licenseKey.trim().toUpperCase(), `tz-activation-request:v1:${nonce}`, 200_000, 32, "sha256");

export type TestInstallation = {
  instanceId: string;
  publicKey: string;
  privateKey: KeyObject;
  /** A request file's text; `payload` overrides members, `proofKey` makes the proof with another key. */
  request(
    licenseKey: string,
    options?: { payload?: Record<string, unknown>; proofKey?: string; nonce?: string },
  ): string;
  /** The nonce of the last request written (the client's `offlineRequestNonce`). */
  lastNonce(): string | null;
  /** A `TZDC1.` code for the license file `jti` of license `lid`, carrying the last request's nonce. */
  deactivationCode(lid: string, jti: string, options?: { signer?: KeyObject; nonce?: string }): string;
};

export function testInstallation(instanceId = `air-${randomBytes(6).toString("hex")}`): TestInstallation {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = b64u(Buffer.from((publicKey.export({ format: "jwk" }) as { x: string }).x, "base64url"));
  let lastNonce: string | null = null;
  return {
    instanceId,
    publicKey: raw,
    privateKey,
    request(licenseKey, options = {}) {
      const nonce = options.nonce ?? b64u(randomBytes(16));
      lastNonce = nonce;
      const payload = {
        v: 1,
        keyPrefix: licenseKey.split("-").slice(0, 2).join("-"),
        instanceId,
        instanceName: `Air-gapped ${instanceId}`,
        publicKey: raw,
        nonce,
        createdAt: new Date().toISOString(),
        client: "tests/air-gapped-installation",
        ...options.payload,
      };
      const request = b64u(JSON.stringify(payload));
      const message = `tz-activation-request:v1.${request}`;
      return JSON.stringify({
        type: "ticketzero-activation-request",
        v: 1,
        request,
        proof: b64u(
          createHmac("sha256", proofKeyOf(options.proofKey ?? licenseKey, String(payload.nonce)))
            .update(message)
            .digest(),
        ),
        signature: b64u(sign(null, Buffer.from(message), privateKey)),
      });
    },
    lastNonce: () => lastNonce,
    deactivationCode(lid, jti, options = {}) {
      const nonce = options.nonce ?? lastNonce ?? b64u(randomBytes(16));
      const payload = b64u(
        JSON.stringify({ v: 1, lid, instanceId, jti, nonce, deactivatedAt: new Date().toISOString() }),
      );
      return `TZDC1.${payload}.${b64u(sign(null, Buffer.from(`tz-deactivation:v1.${payload}`), options.signer ?? privateKey))}`;
    },
  };
}
