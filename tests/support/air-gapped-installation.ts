/**
 * A hostile-or-honest installation for the portal's side of air-gapped activation: writes request
 * files and deactivation codes exactly per docs/AIR-GAPPED.md with node:crypto only, so the tests
 * can also write the malformed ones no client library would.
 */
import { createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { maskKey } from "@ticketzero/core/license/keys";

const b64u = (value: Buffer | string) => Buffer.from(value).toString("base64url");

export type TestInstallation = {
  instanceId: string;
  publicKey: string;
  privateKey: KeyObject;
  /** A request file's text; `payload` overrides members, `proofKey` makes the proof with another key. */
  request(
    licenseKey: string,
    options?: { payload?: Record<string, unknown>; proofKey?: string; nonce?: string },
  ): string;
  /** A `TZDC1.` code for the license file `jti` of license `lid`. */
  deactivationCode(lid: string, jti: string, signer?: KeyObject): string;
};

export function testInstallation(instanceId = `air-${randomBytes(6).toString("hex")}`): TestInstallation {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = b64u(Buffer.from((publicKey.export({ format: "jwk" }) as { x: string }).x, "base64url"));
  return {
    instanceId,
    publicKey: raw,
    privateKey,
    request(licenseKey, options = {}) {
      const payload = {
        v: 1,
        keyMasked: maskKey(licenseKey),
        instanceId,
        instanceName: `Air-gapped ${instanceId}`,
        publicKey: raw,
        nonce: options.nonce ?? b64u(randomBytes(16)),
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
          createHmac("sha256", options.proofKey ?? licenseKey)
            .update(message)
            .digest(),
        ),
        signature: b64u(sign(null, Buffer.from(message), privateKey)),
      });
    },
    deactivationCode(lid, jti, signer = privateKey) {
      const payload = b64u(JSON.stringify({ v: 1, lid, instanceId, jti, deactivatedAt: new Date().toISOString() }));
      return `TZDC1.${payload}.${b64u(sign(null, Buffer.from(`tz-deactivation:v1.${payload}`), signer))}`;
    },
  };
}
