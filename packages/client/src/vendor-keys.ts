/**
 * The vendor's public signing keys, shipped with the client: the trust anchor
 * for license certificates and license files when no jwks is given. Written by
 * `npm run client:pin-keys` from the server's configured signing keys (LICENSE_SIGNING_KEYS, or the
 * development secrets.json). Empty in this repository: the production keys are the operator's; a
 * build for customers runs `npm run client:pin-keys` against the production signing keys and
 * commits the result. Public keys only (Ed25519 `x`); never private material.
 */
import type { JsonWebKeySet } from "./types.js";

export const VENDOR_JWKS: JsonWebKeySet = {
  keys: [],
};
