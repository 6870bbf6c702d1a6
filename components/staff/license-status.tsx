import type { StatusFilter } from "@ticketzero/core/license/backoffice";
import { PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { StatusIndicator } from "@/components/ui/status-indicator";

export const STATUS_LABELS: Record<StatusFilter, string> = {
  valid: "Valid",
  expiring_soon: "Expiring soon",
  trial: "Trial",
  expired: "Expired",
  suspended: "Suspended",
  revoked: "Revoked",
  superseded: "Superseded",
};

/** The back-office status (suspended and revoked told apart), as the portal's status indicator. */
export function LicenseStatusPill({
  status,
  state,
  size = "sm",
}: {
  status: StatusFilter;
  state?: string;
  size?: "sm" | "md";
}) {
  const indicator =
    status === "suspended" || status === "revoked" ? "invalid" : status === "superseded" ? "expired" : status;
  // A superseded license still in its grace period: short enough for the list's status column.
  const label = state === "superseded" && status !== "expired" ? "Replaced · in grace" : STATUS_LABELS[status];
  return <StatusIndicator status={indicator} label={label} size={size} />;
}

const PLAN_TONE: Record<PlanId, BadgeTone> = {
  trial: "info",
  starter: "neutral",
  professional: "brand",
  enterprise: "success",
};

export function PlanBadge({ plan }: { plan: string }) {
  const known = plan in PLANS ? (plan as PlanId) : null;
  return <Badge tone={known ? PLAN_TONE[known] : "neutral"}>{known ? PLANS[known].name : plan}</Badge>;
}
