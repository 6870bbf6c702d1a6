import { PLANS } from "@ticketzero/core/license/plans";
import type { LicenseStatusBody } from "@ticketzero/core/license/types";
import { type ReactNode, useId } from "react";
import { Card } from "../ui/card";
import { cn } from "../ui/cn";
import { EmptyState } from "../ui/empty-state";
import { KeyIcon } from "../ui/icons";
import { StatusIndicator } from "../ui/status-indicator";
import { DaysRing } from "./days-ring";
import { formatDate, termDays } from "./format";
import { statusCopy } from "./status-copy";

export { STATUS_WORDS } from "./status-copy";

const MESSAGE_TONE: Record<LicenseStatusBody["status"], string> = {
  valid: "bg-emerald-50 text-emerald-900",
  expiring_soon: "bg-amber-50 text-amber-950",
  trial: "bg-sky-50 text-sky-900",
  expired: "bg-red-50 text-red-900",
  invalid: "bg-red-50 text-red-900",
};

export type LicenseStatusCardProps = {
  /** The body of GET /api/license-status for the signed-in account. */
  status: LicenseStatusBody;
  /** Buttons under the card (e.g. Renew / Upgrade), or the empty state's call to action. */
  actions?: ReactNode;
  /** Heading text; defaults to "Current license". */
  title?: string;
  className?: string;
};

/** Status indicator, plan, masked key, days left (ring), the state's date and its words (status-copy.ts). */
export function LicenseStatusCard({ status, actions, title = "Current license", className }: LicenseStatusCardProps) {
  const { license } = status;
  const headingId = useId();

  if (!license) {
    return (
      <Card as="section" aria-labelledby={headingId} className={className}>
        <h2 id={headingId} className="sr-only">
          {title}
        </h2>
        <EmptyState
          icon={<KeyIcon />}
          title="No active license"
          description={status.message || "Activate a license key, start a free trial, or buy a plan to get started."}
          action={actions}
        />
      </Card>
    );
  }

  // The ring shows the share of the plan's term left; a short or odd term (e.g. an extension) never shows a full ring.
  const total = Math.max(termDays(license.issuedAt, license.expiresAt), PLANS[license.plan]?.durationDays ?? 0);
  const copy = statusCopy(status);

  return (
    <Card
      as="section"
      aria-labelledby={headingId}
      className={cn("@container overflow-hidden", className)}
      padding="none"
    >
      <div className="flex flex-col gap-6 p-5 @md:flex-row @md:items-center @md:p-6">
        <DaysRing
          daysRemaining={license.daysRemaining}
          totalDays={total}
          status={status.status}
          word={copy.days === null ? copy.word : undefined}
        />
        <div className="min-w-0 flex-1 space-y-3">
          <div className="flex flex-wrap items-center gap-3">
            <h2 id={headingId} className="text-sm font-medium text-slate-600">
              {title}
            </h2>
            <StatusIndicator status={status.status} label={copy.word} />
          </div>
          <p className="text-2xl font-bold tracking-tight text-slate-900 @lg:text-3xl">
            {license.planName}
            <span className="ml-2 text-base font-medium text-slate-500">plan</span>
          </p>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm @2xl:grid-cols-3">
            <div className="col-span-2 min-w-0 @2xl:col-span-1">
              <dt className="text-slate-500">License key</dt>
              <dd className="mt-0.5 truncate font-mono text-[0.82rem] font-medium text-slate-900" title={license.key}>
                {license.key}
              </dd>
            </div>
            {copy.dateLabel && copy.date ? (
              <div>
                <dt className="text-slate-500">{copy.dateLabel}</dt>
                <dd className="mt-0.5 font-medium text-slate-900">
                  <time dateTime={copy.date}>{formatDate(copy.date)}</time>
                </dd>
              </div>
            ) : null}
            <div>
              <dt className="text-slate-500">Issued on</dt>
              <dd className="mt-0.5 font-medium text-slate-900">
                <time dateTime={license.issuedAt}>{formatDate(license.issuedAt)}</time>
              </dd>
            </div>
          </dl>
        </div>
      </div>
      <p
        className={cn("border-t border-slate-100 px-5 py-3 text-sm @md:px-6", MESSAGE_TONE[status.status])}
        data-testid="license-status-message"
      >
        {copy.message}
      </p>
      {actions ? (
        <div className="flex flex-wrap gap-2 border-t border-slate-100 bg-slate-50/70 px-5 py-4 @md:px-6">
          {actions}
        </div>
      ) : null}
    </Card>
  );
}
