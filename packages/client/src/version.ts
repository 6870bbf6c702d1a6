/** The package's version (packages/client/package.json; a test keeps them equal). */
export const CLIENT_VERSION = "1.0.0";

/** Named in activation requests (docs/AIR-GAPPED.md) and as the HTTP user agent. */
export const CLIENT_ID = `ticketzero-license-client-ts/${CLIENT_VERSION}`;
