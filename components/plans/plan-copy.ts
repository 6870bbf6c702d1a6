import type { PlanId } from "@ticketzero/core/license/plans";

/** Marketing copy only; every number comes from lib/license/plans.ts. */
export const PLAN_TAGLINES: Record<PlanId, string> = {
  trial: "Evaluate TicketZero AI on one server with real tickets.",
  starter: "For small MSPs putting AI triage on their first clients.",
  professional: "For growing MSPs automating triage across their whole book.",
  enterprise: "For large MSPs, white-label partners and custom integrations.",
};
