import type { Feature, PaidPlanId, PlanId, PlanLimits } from "./plans";

/** What people and installations see; PRODUCT.md "Status shown to people and installations". */
export type StatusIndicator = "valid" | "expiring_soon" | "trial" | "expired" | "invalid";

/**
 * One code per state, the same name wherever it appears: a refused request's
 * error code for an unusable license is the status code of that license.
 */
export type StatusCode =
  | "VALID"
  | "EXPIRING_SOON"
  | "TRIAL"
  /** Replaced by an upgrade and still in its grace period: `replacement` names the new key. */
  | "SUPERSEDED_GRACE"
  | "LICENSE_EXPIRED"
  | "LICENSE_SUPERSEDED"
  | "LICENSE_SUSPENDED"
  | "LICENSE_REVOKED"
  | "LICENSE_NOT_FOUND";

export type Warning = {
  code:
    | "TICKETS_NEAR_LIMIT"
    | "TICKETS_LIMIT_REACHED"
    | "CLIENTS_NEAR_LIMIT"
    | "CLIENTS_LIMIT_REACHED"
    | "ACTIVATIONS_ALL_USED"
    | "RENEWAL_DUE"
    | "TRIAL_ENDING"
    | "UPGRADE_GRACE_PERIOD"
    | "INSTANCE_NOT_ACTIVATED"
    /** Deactivated by the account admin, staff or the CLI: the installation should not activate itself again. */
    | "INSTANCE_DEACTIVATED";
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

/** This installation's activation; `clients` is what it last reported. */
export type ActivationSummary = { instanceId: string; activatedAt: string; clients: number };

/**
 * The license's activation slots. `held`: deactivated installations whose
 * slot is still taken until their last certificate expires. `nextFreesAt`:
 * when a slot frees next (a held one, or, with all in use, the first
 * installation the heartbeat would deactivate); null when none is pending.
 */
export type SlotSummary = {
  used: number;
  max: number;
  held: number;
  nextFreesAt: string | null;
  swapsLeft: number;
  swapsPer30Days: number;
};

/** For a key replaced by an upgrade: the new key (masked) and when this one stops working. */
export type Replacement = { key: string; plan: PlanId; planName: string; graceEndsAt: string };

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
  slots: SlotSummary | null;
  replacement: Replacement | null;
  /** Only for an activated installation of a usable license; absent otherwise. */
  certificate?: string;
};
