/**
 * Feature keys and display names (PRODUCT.md "Plans"). A copy of the server's catalog so the
 * client can name features offline, where the certificate only carries keys. Unknown keys are
 * still honoured: they are matched by key.
 */
export const FEATURE_NAMES: Readonly<Record<string, string>> = {
  ai_ticket_processing: "AI Ticket Processing",
  atera_integration: "Atera Integration",
  basic_dashboard: "Basic Dashboard",
  advanced_dashboard: "Advanced Dashboard",
  enterprise_dashboard: "Enterprise Dashboard",
  email_support: "Email Support",
  standard_sla: "Standard SLA",
  multi_llm_support: "Multi-LLM Support",
  real_time_monitoring: "Real-time Monitoring",
  custom_workflows: "Custom Workflows",
  priority_support: "Priority Support",
  sla_monitoring: "SLA Monitoring",
  advanced_analytics: "Advanced Analytics",
  white_label_branding: "White Label Branding",
  premium_support_24_7: "24/7 Premium Support",
  sla_guarantees: "SLA Guarantees",
  api_access: "API Access",
  custom_integrations: "Custom Integrations",
};

/** "Advanced Dashboard", "advanced-dashboard", " ADVANCED_DASHBOARD " → "advanced_dashboard". */
export function normaliseFeature(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
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
