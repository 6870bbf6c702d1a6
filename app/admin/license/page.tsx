import { describeWindow, heartbeatWindowOf } from "@ticketzero/core/license/heartbeats";
import { accountLicense, statusOfLicense } from "@ticketzero/core/license/license-status";
import { hasUsedTrial } from "@ticketzero/core/license/licenses";
import { isPaidPlanId, nextPlanUp, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { usageHistory } from "@ticketzero/core/license/usage";
import type { Metadata } from "next";
import { ActivateLicenseForm } from "@/components/license/activate-license-form";
import { FeatureList } from "@/components/license/feature-list";
import { formatDate } from "@/components/license/format";
import { InstallationsTable } from "@/components/license/installations-table";
import { LicenseStatusCard, STATUS_WORDS } from "@/components/license/license-status-card";
import { checkoutHref, PlanPicker } from "@/components/license/plan-picker";
import { StartTrialForm } from "@/components/license/start-trial-form";
import { statusCopy } from "@/components/license/status-copy";
import { UpgradeCallout } from "@/components/license/upgrade-callout";
import { UsageHistoryChart } from "@/components/license/usage-history-chart";
import { UsagePanel } from "@/components/license/usage-panel";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { ArrowRightIcon, ClockIcon, KeyIcon } from "@/components/ui/icons";
import { StatusIndicator } from "@/components/ui/status-indicator";
import { requireUser } from "../_lib/session";
import { activateLicenseAction, deactivateInstallationAction, startAccountTrialAction } from "./actions";
import { RevealKey } from "./reveal-key";

/** "7 days", or null when the license's installations are never deactivated for silence. */
function describeHeartbeat(license: { heartbeatWindowSeconds: number | null }): string | null {
  const window = heartbeatWindowOf(license);
  return window ? describeWindow(window) : null;
}

export const metadata: Metadata = { title: "License & Billing" };

export default async function LicenseBillingPage() {
  const user = await requireUser("/admin/license");
  const [{ license, status, installations, all }, trialUsed] = await Promise.all([
    accountLicense(user.id),
    hasUsedTrial(user.email),
  ]);
  const history = license ? (await usageHistory(license.id, 12)).reverse() : [];
  const others = await Promise.all(
    all
      .filter((row) => row.id !== license?.id)
      .map(async (row) => ({ row, status: (await statusOfLicense(row)).status })),
  );
  const plan = license?.plan as PlanId | undefined;
  const paid = isPaidPlanId(plan);
  const next = plan ? nextPlanUp(plan) : null;
  const usable = status.valid;

  const activateCard = (
    <Card as="section" aria-labelledby="activate-heading" id="activate" className="scroll-mt-24">
      <CardHeader
        id="activate-heading"
        title="Activate a license key"
        description="Links the key to your account and records this Admin Panel as an installation."
      />
      <ActivateLicenseForm action={activateLicenseAction} />
    </Card>
  );
  const trialCard = trialUsed ? (
    <Card as="section" aria-labelledby="trial-heading" id="trial" className="scroll-mt-24">
      <CardHeader id="trial-heading" title="Free 30-day trial" />
      <Alert tone="info" announce="none">
        You have already used the free trial for {user.email}. Choose a plan below to keep going.
      </Alert>
    </Card>
  ) : (
    <Card as="section" aria-labelledby="trial-heading" id="trial" className="scroll-mt-24">
      <CardHeader
        id="trial-heading"
        title="Free 30-day trial"
        description={`${PLANS.trial.limits.maxClients} clients, ${PLANS.trial.limits.maxTicketsPerMonth} tickets a month, one installation.`}
      />
      <StartTrialForm action={startAccountTrialAction} defaultEmail={user.email} />
    </Card>
  );

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-bold sm:text-3xl">License &amp; Billing</h1>
        <p className="mt-1 text-slate-600">
          Your license status, usage against your plan’s limits, features and installations.
        </p>
      </div>

      <div data-testid="license-status" data-status={status.status}>
        {license && status.license ? (
          <LicenseStatusCard
            status={status}
            actions={(() => {
              // The state's next step (status-copy.ts) comes first; a usable paid license also offers renew/upgrade.
              const step = statusCopy(status, license.id).nextStep;
              return (
                <>
                  <RevealKey licenseId={license.id} />
                  {step ? (
                    <Button
                      href={step.href}
                      size="sm"
                      trailingIcon={step.kind === "support" ? undefined : <ArrowRightIcon />}
                    >
                      {step.label}
                    </Button>
                  ) : null}
                  {paid && plan && usable && step?.kind !== "renew" ? (
                    <Button href={checkoutHref(plan, "renew", license.id)} variant="secondary" size="sm">
                      Renew {PLANS[plan].name}
                    </Button>
                  ) : null}
                  {next && usable && paid ? (
                    <Button
                      href={checkoutHref(next, "upgrade", license.id)}
                      size="sm"
                      variant={step ? "secondary" : "primary"}
                      trailingIcon={<ArrowRightIcon />}
                    >
                      Upgrade to {PLANS[next].name}
                    </Button>
                  ) : null}
                </>
              );
            })()}
          />
        ) : (
          <LicenseStatusCard
            status={status}
            actions={
              <div className="flex flex-wrap justify-center gap-2">
                <Button href="#activate" icon={<KeyIcon />}>
                  Activate a key
                </Button>
                {trialUsed ? null : (
                  <Button href="#trial" variant="secondary" icon={<ClockIcon />}>
                    Start a free trial
                  </Button>
                )}
                <Button href="#plans" variant="secondary">
                  See plans
                </Button>
              </div>
            }
          />
        )}
      </div>

      {license ? (
        <>
          {paid || !status.upgrade ? (
            <UpgradeCallout upgrade={status.upgrade} currentPlan={plan} licenseId={license.id} />
          ) : (
            <UpgradeCallout upgrade={status.upgrade} currentPlan={plan} />
          )}
          <div className="grid gap-6 lg:grid-cols-2">
            <UsagePanel usage={status.usage} limits={status.limits} warnings={status.warnings} />
            <UsageHistoryChart data={history} limit={status.limits?.maxTicketsPerMonth ?? license.maxTicketsPerMonth} />
          </div>
          <FeatureList features={status.features} plan={plan} />
          <InstallationsTable
            installations={installations.map((i) => ({
              instanceId: i.instanceId,
              instanceName: i.instanceName,
              activatedAt: i.activatedAt.toISOString(),
              lastSeenAt: i.lastSeenAt.toISOString(),
              heldUntil: i.deactivatedAt ? (i.slotFreesAt?.toISOString() ?? null) : null,
              certificateExpiresAt: i.certificateExpiresAt?.toISOString() ?? null,
            }))}
            maxActivations={license.maxActivations}
            slots={status.slots}
            heartbeatWindow={describeHeartbeat(license)}
            deactivateAction={deactivateInstallationAction.bind(null, license.id)}
          />
        </>
      ) : null}

      {/* One place in the tree whatever the license: activating a first paid key changes the layout,
          and a remounted form would drop its "License activated" confirmation. */}
      <div className={paid && usable ? "" : "grid gap-6 lg:grid-cols-2"}>
        {activateCard}
        {paid && usable ? null : trialCard}
      </div>

      <section aria-labelledby="plans-heading" id="plans" className="scroll-mt-24">
        <h2 id="plans-heading" className="text-xl font-semibold">
          {paid ? "Upgrade or renew" : "Plans"}
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Yearly licenses. An upgrade issues the new tier’s key and keeps your current key working for a grace period.
        </p>
        <PlanPicker
          currentPlan={usable ? plan : undefined}
          currentStatus={status.status}
          licenseId={license?.id}
          className="mt-6"
        />
      </section>

      {others.length > 0 ? (
        <Card as="section" aria-labelledby="other-licenses-heading">
          <CardHeader
            id="other-licenses-heading"
            title="Other licenses on this account"
            description="Earlier, replaced or expired licenses."
          />
          <ul className="divide-y divide-slate-100">
            {others.map(({ row, status: s }) => (
              <li key={row.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div className="min-w-0">
                  <p className="font-medium text-slate-900">{PLANS[row.plan as PlanId]?.name ?? row.plan}</p>
                  <p className="font-mono text-xs text-slate-500">{row.keyMasked}</p>
                </div>
                <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
                  <span>
                    {s.status === "expired" || s.status === "invalid" ? "Ended" : "Expires"} {formatDate(row.expiresAt)}
                  </span>
                  <StatusIndicator status={s.status} size="sm" label={STATUS_WORDS[s.code]} />
                </div>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
    </div>
  );
}
