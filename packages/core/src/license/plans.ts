/**
 * The plans catalog of PRODUCT.md. A license copies its plan's limits and
 * features when it is issued, so editing this file never changes what a
 * customer already bought.
 */

export const FEATURES = {
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
} as const;

export type FeatureKey = keyof typeof FEATURES;
export type Feature = { key: FeatureKey; name: string };

export const PLAN_IDS = ["trial", "starter", "professional", "enterprise"] as const;
export type PlanId = (typeof PLAN_IDS)[number];
export type PaidPlanId = Exclude<PlanId, "trial">;
export const PAID_PLAN_IDS: readonly PaidPlanId[] = ["starter", "professional", "enterprise"];

export type PlanLimits = {
  maxClients: number;
  maxTicketsPerMonth: number;
  maxActivations: number;
};

export type Plan = {
  id: PlanId;
  name: string;
  /** The key segment after `TZ-`. */
  keyPrefix: "TRIAL" | "STA" | "PRO" | "ENT";
  /** Yearly price in US cents; 0 for the trial. */
  priceCents: number;
  durationDays: number;
  recommended: boolean;
  limits: PlanLimits;
  features: FeatureKey[];
};

const CORE: FeatureKey[] = ["ai_ticket_processing", "atera_integration"];

export const PLANS: Record<PlanId, Plan> = {
  trial: {
    id: "trial",
    name: "Trial",
    keyPrefix: "TRIAL",
    priceCents: 0,
    durationDays: 30,
    recommended: false,
    limits: { maxClients: 2, maxTicketsPerMonth: 100, maxActivations: 1 },
    features: [...CORE, "basic_dashboard"],
  },
  starter: {
    id: "starter",
    name: "Starter",
    keyPrefix: "STA",
    priceCents: 2_500_00,
    durationDays: 365,
    recommended: false,
    limits: { maxClients: 5, maxTicketsPerMonth: 1_000, maxActivations: 2 },
    features: [...CORE, "basic_dashboard", "email_support", "standard_sla"],
  },
  professional: {
    id: "professional",
    name: "Professional",
    keyPrefix: "PRO",
    priceCents: 4_500_00,
    durationDays: 365,
    recommended: true,
    limits: { maxClients: 15, maxTicketsPerMonth: 5_000, maxActivations: 5 },
    features: [
      ...CORE,
      "advanced_dashboard",
      "multi_llm_support",
      "real_time_monitoring",
      "custom_workflows",
      "priority_support",
      "sla_monitoring",
    ],
  },
  enterprise: {
    id: "enterprise",
    name: "Enterprise",
    keyPrefix: "ENT",
    priceCents: 7_500_00,
    durationDays: 365,
    recommended: false,
    limits: { maxClients: 50, maxTicketsPerMonth: 25_000, maxActivations: 25 },
    features: [
      ...CORE,
      "enterprise_dashboard",
      "multi_llm_support",
      "real_time_monitoring",
      "custom_workflows",
      // Professional's support and SLA tiers come along: an upgrade never loses a feature a key had.
      "priority_support",
      "sla_monitoring",
      "advanced_analytics",
      "white_label_branding",
      "premium_support_24_7",
      "sla_guarantees",
      "api_access",
      "custom_integrations",
    ],
  },
};

/** Plans in upgrade order, cheapest first. */
export const PLAN_ORDER: readonly PlanId[] = ["trial", "starter", "professional", "enterprise"];

export function isPlanId(value: unknown): value is PlanId {
  return typeof value === "string" && (PLAN_IDS as readonly string[]).includes(value);
}

export function isPaidPlanId(value: unknown): value is PaidPlanId {
  return isPlanId(value) && value !== "trial";
}

export function featureList(keys: readonly string[]): Feature[] {
  return keys.filter((key): key is FeatureKey => key in FEATURES).map((key) => ({ key, name: FEATURES[key] }));
}

const normaliseFeatureName = (value: string) =>
  value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
const FEATURE_BY_NAME = new Map<string, FeatureKey>(
  (Object.entries(FEATURES) as [FeatureKey, string][]).flatMap(([key, name]) => [
    [normaliseFeatureName(key), key],
    [normaliseFeatureName(name), key],
  ]),
);

/** Resolves a feature's key or display name, case-insensitively ("Advanced Dashboard", "advanced_dashboard"). */
export function resolveFeature(nameOrKey: string): FeatureKey | null {
  return FEATURE_BY_NAME.get(normaliseFeatureName(nameOrKey)) ?? null;
}

/** The cheapest plan above `current` that includes `feature`, for "unlocks with" hints. */
export function cheapestPlanWithFeature(feature: FeatureKey, above: PlanId = "trial"): PlanId | null {
  const start = PLAN_ORDER.indexOf(above);
  return PLAN_ORDER.slice(start + 1).find((id) => PLANS[id].features.includes(feature)) ?? null;
}

export function nextPlanUp(plan: PlanId): PaidPlanId | null {
  const next = PLAN_ORDER[PLAN_ORDER.indexOf(plan) + 1];
  return next && next !== "trial" ? next : null;
}

export function formatPrice(cents: number): string {
  return cents === 0
    ? "Free"
    : new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 }).format(
        cents / 100,
      );
}
