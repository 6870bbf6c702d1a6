/**
 * Writes packages/client/src/vendor-keys.ts — the vendor's public signing keys shipped with the
 * installation client — from the server's configured signing keys: LICENSE_SIGNING_KEYS when
 * set (production: run it with the production environment), else the development
 * `<DATA_DIR>/secrets.json`. Public keys only (kty, crv, x, kid, alg, use).
 *
 *   npm run client:pin-keys                 # write packages/client/src/vendor-keys.ts
 *   npm run client:pin-keys -- --check      # exit 1 when the file differs (CI)
 *   npm run client:pin-keys -- --out FILE   # write elsewhere
 *
 * Pin every key the server may sign with (the current one first). Rotation after shipping:
 * prepend the new key to LICENSE_SIGNING_KEYS and keep the old one listed; the server then
 * publishes `keySetTokens` signed by the old key, from which installations learn the new one.
 */
import "./support/require-supported-node";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { publicJwks } from "@ticketzero/core/license/certificate";

const { values } = parseArgs({
  options: { check: { type: "boolean" }, out: { type: "string" } },
});
const out = path.resolve(values.out ?? path.join(import.meta.dirname, "..", "packages/client/src/vendor-keys.ts"));
const q = (value: string) => JSON.stringify(value);
const keys = publicJwks().keys.map(({ kty, crv, x, kid, alg, use }) => ({ kty, crv, x, kid, alg, use }));

const source = `/**
 * The vendor's public signing keys, shipped with the client: the trust anchor for license
 * certificates when no \`jwks\` option is given. Written by \`npm run client:pin-keys\` from the
 * server's configured signing keys (LICENSE_SIGNING_KEYS, or the development secrets.json).
 *
 * Empty in this repository: the production keys are the operator's. A build for customers runs
 * \`npm run client:pin-keys\` against the production signing keys and commits the result.
 * Public keys only (Ed25519 \`x\`); never private material.
 */
import type { JsonWebKeySet } from "./types.js";

export const VENDOR_JWKS: JsonWebKeySet = {
  keys: [${keys.map((k) => `\n    {\n${(["kty", "crv", "kid", "alg", "use", "x"] as const).map((f) => `      ${f}: ${q(k[f])},\n`).join("")}    },`).join("")}${keys.length > 0 ? "\n  " : ""}],
};
`;

if (values.check) {
  let current = "";
  try {
    current = readFileSync(out, "utf8");
  } catch {
    // missing: differs
  }
  if (current !== source) {
    console.error(
      `${path.relative(process.cwd(), out)} does not pin the configured signing keys (${keys.map((k) => k.kid).join(", ")}); run npm run client:pin-keys`,
    );
    process.exit(1);
  }
  console.log(`${path.relative(process.cwd(), out)} pins ${keys.map((k) => k.kid).join(", ")}`);
} else {
  writeFileSync(out, source);
  console.log(`wrote ${path.relative(process.cwd(), out)}: ${keys.map((k) => k.kid).join(", ")}`);
}
