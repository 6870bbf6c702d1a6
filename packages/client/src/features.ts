import { GENERATED_FEATURES, GENERATED_PLAN_NAMES } from "./features.generated.js";

/**
 * Feature keys and display names (PRODUCT.md "Plans"), generated from the catalog the server uses
 * (`npm run client:catalogs`), so the client can name features offline, where the certificate
 * only carries keys. Unknown keys are still honoured by key.
 */
export const FEATURE_NAMES: Readonly<Record<string, string>> = GENERATED_FEATURES;

/** "Advanced Dashboard", "advanced-dashboard", " ADVANCED_DASHBOARD " → "advanced_dashboard". */
export function normaliseFeature(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
}

/** A plan's display name ("professional" → "Professional"; an unknown plan keeps its id). */
export function planName(plan: string): string {
  return GENERATED_PLAN_NAMES[plan] ?? plan;
}

/** Returns the feature's display name for a key (falls back to the key). */
export function featureName(key: string): string {
  return FEATURE_NAMES[key] ?? key;
}

/**
 * Whether `nameOrKey` designates one of `features` (given as keys with optional names).
 * Matching is by normalised key or normalised display name.
 */
export function hasFeature(features: ReadonlyArray<{ key: string; name?: string }>, nameOrKey: string): boolean {
  if (typeof nameOrKey !== "string") return false;
  const wanted = normaliseFeature(nameOrKey);
  if (wanted === "") return false;
  return features.some((f) => {
    const name = f.name ?? featureName(f.key);
    return normaliseFeature(f.key) === wanted || normaliseFeature(name) === wanted;
  });
}
