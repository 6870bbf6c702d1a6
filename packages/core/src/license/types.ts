import type { Feature, PaidPlanId, PlanId, PlanLimits } from "./plans";

/** What people and installations see; PRODUCT.md "Status shown to people and installations". */
export type StatusIndicator = "valid" | "expiring_soon" | "trial" | "expired" | "invalid";

export type StatusCode =
  | "VALID"
  | "EXPIRING_SOON"
  | "TRIAL"
  | "EXPIRED"
  | "SUSPENDED"
  | "REVOKED"
  | "SUPERSEDED"
  | "NOT_FOUND";

export type Warning = {
  code:
    | "TICKETS_NEAR_LIMIT"
    | "TICKETS_LIMIT_REACHED"
    | "CLIENTS_NEAR_LIMIT"
    | "CLIENTS_LIMIT_REACHED"
    | "ACTIVATIONS_ALL_USED"
    | "RENEWAL_DUE"
    | "TRIAL_ENDING"
    | "UPGRADE_GRACE_PERIOD";
  message: string;
};

export type Usage = { period: string; ticketsThisMonth: number; clients: number; activations: number };

export type LicenseSummary = {
  key: string; // always masked
  plan: PlanId;
  planName: string;
  issuedAt: string;
  expiresAt: string;
  daysRemaining: number;
};

export type ActivationSummary = { instanceId: string; activatedAt: string };

/** The body of `GET /api/license-status`, exactly as PRODUCT.md specifies it. */
export type LicenseStatusBody = {
  valid: boolean;
  code: StatusCode;
  status: StatusIndicator;
  message: string;
  license: LicenseSummary | null;
  limits: PlanLimits | null;
  usage: Usage | null;
  features: Feature[];
  warnings: Warning[];
  upgrade: { plan: PaidPlanId; reason: string } | null;
  activation: ActivationSummary | null;
  certificate: string | null;
};
