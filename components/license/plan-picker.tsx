import { PAID_PLAN_IDS, type PaidPlanId, PLAN_ORDER, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import type { StatusIndicator } from "@ticketzero/core/license/types";
import { PlanCard } from "../plans/plan-card";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { cn } from "../ui/cn";

export type PlanAction = "purchase" | "upgrade" | "renew" | "unavailable";

export type PlanPickerProps = {
  /** The account's current plan; omit when there is no license. A trial counts as "no paid plan". */
  currentPlan?: PlanId;
  /** The current license's status; an `invalid` license (revoked, suspended…) is treated as no license. */
  currentStatus?: StatusIndicator;
  /** The current license's id, added as `&upgradeFrom=` / `&renew=` to checkout links. */
  licenseId?: string;
  /** Show each plan's feature list (default false: compact). */
  showFeatures?: boolean;
  className?: string;
};

/** Which button a paid plan gets, given the current plan. */
export function planAction(plan: PaidPlanId, currentPlan?: PlanId, currentStatus?: StatusIndicator): PlanAction {
  if (!currentPlan || currentPlan === "trial" || currentStatus === "invalid") return "purchase";
  const diff = PLAN_ORDER.indexOf(plan) - PLAN_ORDER.indexOf(currentPlan);
  if (diff === 0) return "renew";
  return diff > 0 ? "upgrade" : "unavailable";
}

export function checkoutHref(plan: PaidPlanId, action: PlanAction, licenseId?: string): string {
  const params = new URLSearchParams({ plan });
  if (licenseId && action === "upgrade") params.set("upgradeFrom", licenseId);
  if (licenseId && action === "renew") params.set("renew", licenseId);
  return `/checkout?${params.toString()}`;
}

/** The three paid plans with Purchase / Upgrade / Renew buttons relative to the current plan. */
export function PlanPicker({
  currentPlan,
  currentStatus,
  licenseId,
  showFeatures = false,
  className,
}: PlanPickerProps) {
  return (
    <div className={cn("grid gap-6 pt-3 md:grid-cols-3 md:gap-4 lg:gap-6", className)}>
      {PAID_PLAN_IDS.map((id) => {
        const plan = PLANS[id];
        const action = planAction(id, currentPlan, currentStatus);
        const isCurrent = action === "renew";
        const button =
          action === "unavailable" ? (
            <Button variant="secondary" fullWidth disabled>
              Your plan is higher
            </Button>
          ) : (
            <Button
              href={checkoutHref(id, action, licenseId)}
              variant={plan.recommended || isCurrent ? "primary" : "secondary"}
              fullWidth
            >
              {action === "renew"
                ? `Renew ${plan.name}`
                : action === "upgrade"
                  ? `Upgrade to ${plan.name}`
                  : `Purchase ${plan.name}`}
            </Button>
          );
        return (
          <PlanCard
            key={id}
            plan={plan}
            headingLevel={3}
            hideFeatures={!showFeatures}
            emphasis={
              currentPlan && currentStatus !== "invalid" && currentPlan !== "trial" ? isCurrent : plan.recommended
            }
            badge={isCurrent ? <Badge tone="brand">Current plan</Badge> : null}
            action={button}
          />
        );
      })}
    </div>
  );
}
