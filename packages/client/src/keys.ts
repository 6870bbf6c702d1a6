/** The license key as everywhere: trimmed, upper case. */
export function normaliseKey(licenseKey: string): string {
  return licenseKey.trim().toUpperCase();
}

/**
 * The key masked exactly as the portal masks it (packages/core/src/license/keys.ts `maskKey`;
 * a test compares the two): `TZ-PRO-****-****-****-7K2Q`, `TZ-TRIAL-****7K2Q`.
 */
export function maskKey(licenseKey: string): string {
  const key = normaliseKey(licenseKey);
  if (key.startsWith("TZ-TRIAL-")) return `TZ-TRIAL-****${key.slice(-4)}`;
  const parts = key.split("-");
  if (parts.length !== 6) return "TZ-****";
  return `TZ-${parts[1]}-****-****-****-${parts[5]}`;
}

/**
 * The key's first two groups, for people (`TZ-STA`, `TZ-PRO`, `TZ-ENT`, `TZ-TRIAL`): the request
 * file's `keyPrefix` (docs/AIR-GAPPED.md). Never a random character of the key: a key of no known
 * shape is just `TZ`.
 */
export function keyPrefix(licenseKey: string): string {
  const match = /^TZ-(STA|PRO|ENT|TRIAL)-/.exec(normaliseKey(licenseKey));
  return match ? `TZ-${match[1]}` : "TZ";
}
