/**
 * Writes the vendor's public signing keys that the installation clients ship — the TypeScript
 * client's packages/client/src/vendor-keys.ts and the Python client's
 * clients/python/ticketzero_license/vendor_keys.py — from the server's configured signing keys:
 * LICENSE_SIGNING_KEYS when set (production: run it with the production environment), else the
 * development `<DATA_DIR>/secrets.json`. Public keys only (kty, crv, x, kid, alg, use).
 *
 *   npm run client:pin-keys                 # write both files
 *   npm run client:pin-keys -- --check      # exit 1 when either differs (CI)
 *   npm run client:pin-keys -- --empty      # the repository's files: no keys pinned
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

const { values } = parseArgs({ options: { check: { type: "boolean" }, empty: { type: "boolean" } } });
const root = path.join(import.meta.dirname, "..");
const q = (value: string) => JSON.stringify(value);
const FIELDS = ["kty", "crv", "kid", "alg", "use", "x"] as const;
const keys = (values.empty ? [] : publicJwks().keys).map(({ kty, crv, x, kid, alg, use }) => ({
  kty,
  crv,
  x,
  kid,
  alg,
  use,
}));
const WHY = `the trust anchor
 * for license certificates and license files when no jwks is given. Written by
 * \`npm run client:pin-keys\` from the server's configured signing keys (LICENSE_SIGNING_KEYS, or the
 * development secrets.json). Empty in this repository: the production keys are the operator's; a
 * build for customers runs \`npm run client:pin-keys\` against the production signing keys and
 * commits the result. Public keys only (Ed25519 \`x\`); never private material.`;

const typescript = `/**
 * The vendor's public signing keys, shipped with the client: ${WHY}
 */
import type { JsonWebKeySet } from "./types.js";

export const VENDOR_JWKS: JsonWebKeySet = {
  keys: [${keys.map((k) => `\n    {\n${FIELDS.map((f) => `      ${f}: ${q(k[f])},\n`).join("")}    },`).join("")}${keys.length > 0 ? "\n  " : ""}],
};
`;

const python = `"""The vendor's public signing keys, shipped with the client: ${WHY.replaceAll("\n * ", "\n").replaceAll("\\`", "``")}
"""
from typing import Any, Dict

VENDOR_JWKS: Dict[str, Any] = {
    "keys": [${keys.map((k) => `\n        {\n${FIELDS.map((f) => `            ${q(f)}: ${q(k[f])},\n`).join("")}        },`).join("")}${keys.length > 0 ? "\n    " : ""}],
}
`;

const files = [
  { file: path.join(root, "packages/client/src/vendor-keys.ts"), source: typescript },
  { file: path.join(root, "clients/python/ticketzero_license/vendor_keys.py"), source: python },
];
const kids = keys.map((k) => k.kid).join(", ") || "no keys";
let differs = false;
for (const { file, source } of files) {
  const relative = path.relative(process.cwd(), file);
  if (!values.check) {
    writeFileSync(file, source);
    console.log(`wrote ${relative}: ${kids}`);
    continue;
  }
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    // missing: differs
  }
  if (current === source) console.log(`${relative} pins ${kids}`);
  else {
    console.error(`${relative} does not pin the configured signing keys (${kids}); run npm run client:pin-keys`);
    differs = true;
  }
}
if (differs) process.exit(1);
