import type { LicenseStatusBody } from "@ticketzero/core/license/types";
import { useId } from "react";
import { Alert } from "../ui/alert";
import { Card, CardHeader } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { ChartIcon, ServerIcon, SparkIcon } from "../ui/icons";
import { UsageBar } from "../ui/progress";
import { formatPeriodLong } from "./format";

export type UsagePanelProps = Pick<LicenseStatusBody, "usage" | "limits" | "warnings"> & {
  title?: string;
  className?: string;
};

/** Usage against limits (tickets this month, clients, activations) plus the warnings list. Pass `{...status}`. */
export function UsagePanel({ usage, limits, warnings, title = "Usage", className }: UsagePanelProps) {
  const headingId = useId();
  return (
    <Card as="section" aria-labelledby={headingId} className={className}>
      <CardHeader
        id={headingId}
        title={title}
        description={usage ? `Billing period: ${formatPeriodLong(usage.period)} (UTC)` : undefined}
      />
      {usage && limits ? (
        <div className="space-y-6">
          <UsageBar
            label="Tickets this month"
            used={usage.ticketsThisMonth}
            limit={limits.maxTicketsPerMonth}
            icon={<SparkIcon />}
            hint="Resets on the 1st of each month"
          />
          <UsageBar label="MSP clients" used={usage.clients} limit={limits.maxClients} icon={<ChartIcon />} />
          <UsageBar
            label="Activations"
            used={usage.activations}
            limit={limits.maxActivations}
            icon={<ServerIcon />}
            hint="Installations using this key"
          />
        </div>
      ) : (
        <EmptyState
          icon={<ChartIcon />}
          title="No usage yet"
          description="Usage appears here once a license is active and an installation reports tickets."
        />
      )}
      {warnings.length > 0 ? (
        <div className="mt-6 space-y-2">
          <h3 className="sr-only">Warnings</h3>
          <ul className="space-y-2">
            {warnings.map((w) => (
              <li key={w.code}>
                <Alert
                  announce="none"
                  tone={w.code.endsWith("LIMIT_REACHED") || w.code === "ACTIVATIONS_ALL_USED" ? "error" : "warning"}
                >
                  {w.message}
                </Alert>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </Card>
  );
}
