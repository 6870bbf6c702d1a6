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
