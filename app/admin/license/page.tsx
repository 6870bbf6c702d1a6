import { accountLicense } from "@ticketzero/core/license/license-status";
import { hasUsedTrial, installationsOf } from "@ticketzero/core/license/licenses";
import { isPaidPlanId, nextPlanUp, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { claimableLicenses, invitationsOf, ROLE_WORDS, roleAtLeast } from "@ticketzero/core/license/teams";
import { usageHistory } from "@ticketzero/core/license/usage";
import type { Metadata } from "next";
import { BillingCard } from "@/components/billing/billing-card";
import { ActivateLicenseForm } from "@/components/license/activate-license-form";
import { AirGappedPanel } from "@/components/license/air-gapped-panel";
import { ClaimableLicenses } from "@/components/license/claimable-licenses";
import { FeatureList } from "@/components/license/feature-list";
import { formatDate } from "@/components/license/format";
import { heartbeatWords, installationRows } from "@/components/license/installation-rows";
import { InstallationsTable } from "@/components/license/installations-table";
import { LicenseStatusCard, STATUS_WORDS } from "@/components/license/license-status-card";
import { LicenseSwitcher } from "@/components/license/license-switcher";
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
import { licenseFileHref } from "@/lib/next/air-gapped";
import { requireUser } from "../_lib/session";
import {
  activateLicenseAction,
  claimLicenseAction,
  deactivateInstallationAction,
  deactivationCodeAction,
  issueLicenseFileAction,
  setPrimaryLicenseAction,
  startAccountTrialAction,
} from "./actions";
import { RevealKey } from "./reveal-key";

export const metadata: Metadata = { title: "License & Billing" };

/** What the server actions redirect back with: fixed codes, so a link cannot put words on this page. */
const NOTICES: Record<string, { tone: "success" | "error" | "info"; text: string }> = {
  claimed: { tone: "success", text: "The license is on your account now." },
  claim_failed: { tone: "error", text: "That license could not be added: it is no longer waiting for you." },
  primary_set: { tone: "success", text: "This page now opens on this license." },
  primary_failed: { tone: "error", text: "The primary license could not be changed. Reload and try again." },
  deactivate_failed: {
    tone: "error",
    text: "That installation could not be deactivated: it may already be deactivated. The table shows its state now.",
  },
  read_only: {
    tone: "error",
    text: "Your role on this license is read-only. Ask an owner or admin of its team to make this change.",
  },
};

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;

export default async function LicenseBillingPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser("/admin/license");
  const query = await searchParams;
  const [{ license, role, status, installations, all }, trialUsed, claimable, invitations] = await Promise.all([
    accountLicense(user.id, { licenseId: one(query.license) }),
    hasUsedTrial(user.email),
    claimableLicenses(user.email),
    invitationsOf(user.id),
  ]);
  const canManage = roleAtLeast(role, "admin");
  const notice = NOTICES[one(query.notice) ?? ""];
  const deactivatedId = one(query.deactivated);
  // Said from the installation's row as it is now, never from the link's words.
  const deactivated =
    deactivatedId && license
      ? (await installationsOf(license.id)).find((i) => i.instanceId === deactivatedId && i.deactivatedAt)
      : undefined;
  const deactivatedName = deactivated ? deactivated.instanceName?.trim() || deactivated.instanceId : "";
  const deactivatedNotice = deactivated
    ? deactivated.slotFreesAt && deactivated.slotFreesAt > new Date()
      ? `${deactivatedName} is deactivated. Its slot stays taken until ${formatDate(deactivated.slotFreesAt)}, when the certificate it holds expires.`
      : `${deactivatedName} is deactivated and its slot is free: another installation can activate now.`
    : null;
  const history = license ? (await usageHistory(license.id, 12)).reverse() : [];
  const showTeams = new Set(all.map((r) => r.teamId)).size > 1;
  const paidCurrent = all.some(
    (r) => r.status.valid && r.license.state !== "superseded" && isPaidPlanId(r.license.plan),
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
        description="Adds a key you bought or were sent to your account. It uses none of the license’s installation slots: your TicketZero AI servers activate themselves with the key."
      />
      <ActivateLicenseForm action={activateLicenseAction} showInstanceName={false} />
    </Card>
  );
  const trialCard = (
    <Card as="section" aria-labelledby="trial-heading" id="trial" className="scroll-mt-24">
      <CardHeader
        id="trial-heading"
        title="Free 30-day trial"
        description={`${PLANS.trial.limits.maxClients} clients, ${PLANS.trial.limits.maxTicketsPerMonth} tickets a month, one installation.`}
      />
      <StartTrialForm
        action={startAccountTrialAction}
        defaultEmail={user.email}
        usedNotice={
          trialUsed ? (
            <Alert tone="info" announce="none">
              You have already used the free trial for {user.email}. Choose a plan below to keep going.
            </Alert>
          ) : undefined
        }
      />
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

      {notice ? (
        <Alert tone={notice.tone} announce={notice.tone === "error" ? "alert" : "status"}>
          {notice.text}
        </Alert>
      ) : null}
      {deactivatedNotice ? (
        <Alert tone="success" announce="status" title="Installation deactivated">
          {deactivatedNotice}
        </Alert>
      ) : null}

      {invitations.length > 0 ? (
        <Alert tone="info" announce="none" title="You are invited to a team">
          {invitations.map((i) => i.name).join(", ")} invited you to help run their licenses.{" "}
          <a href="/admin/team" className="font-semibold underline">
            Review the invitation
          </a>
          .
        </Alert>
      ) : null}

      {claimable.length > 0 ? (
        <ClaimableLicenses
          email={user.email}
          items={claimable.map((row) => ({
            id: row.id,
            planName: PLANS[row.plan as PlanId]?.name ?? row.plan,
            keyMasked: row.keyMasked,
            expiresAt: row.expiresAt.toISOString(),
            claim: claimLicenseAction.bind(null, row.id),
          }))}
        />
      ) : null}

      {all.length > 1 ? (
        <LicenseSwitcher
          currentId={license?.id ?? null}
          showTeams={showTeams}
          items={all.map((r) => ({
            id: r.license.id,
            planName: PLANS[r.license.plan as PlanId]?.name ?? r.license.plan,
            keyMasked: r.license.keyMasked,
            status: r.status.status,
            statusLabel: STATUS_WORDS[r.status.code],
            expiresAt: r.license.expiresAt.toISOString(),
            teamName: r.teamName,
            primary: r.primary,
            // A trial never outranks a current paid license, so it is not offered as the primary then.
            makePrimary:
              roleAtLeast(r.role, "admin") && (isPaidPlanId(r.license.plan) || !paidCurrent)
                ? setPrimaryLicenseAction.bind(null, r.license.id)
                : undefined,
          }))}
        />
      ) : null}

      {license && !canManage ? (
        <Alert tone="info" announce="none" title={`${ROLE_WORDS[role ?? "viewer"]} access`}>
          You can see this license’s status, usage and installations. To change anything, ask an owner or admin of its
          team.
        </Alert>
      ) : null}

      <div data-testid="license-status" data-status={status.status}>
        {license && status.license ? (
          <LicenseStatusCard
            status={status}
            actions={(() => {
              // The state's next step (status-copy.ts) comes first; a usable paid license also offers
              // renew/upgrade. Read-only members get the support link only: the rest is for admins.
              const copyStep = statusCopy(status, license.id).nextStep;
              const step = copyStep && (canManage || copyStep.kind === "support") ? copyStep : null;
              return (
                <>
                  {canManage ? <RevealKey licenseId={license.id} /> : null}
                  {step ? (
                    <Button
                      href={step.href}
                      size="sm"
                      trailingIcon={step.kind === "support" ? undefined : <ArrowRightIcon />}
                    >
                      {step.label}
                    </Button>
                  ) : null}
                  {canManage && paid && plan && usable && step?.kind !== "renew" ? (
                    <Button href={checkoutHref(plan, "renew", license.id)} variant="secondary" size="sm">
                      Renew {PLANS[plan].name}
                    </Button>
                  ) : null}
                  {canManage && next && usable && paid ? (
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
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
            <UsagePanel usage={status.usage} limits={status.limits} warnings={status.warnings} />
            <UsageHistoryChart data={history} limit={status.limits?.maxTicketsPerMonth ?? license.maxTicketsPerMonth} />
          </div>
          <FeatureList features={status.features} plan={plan} />
          <div id="installations" className="scroll-mt-24">
            <InstallationsTable
              installations={installationRows(
                installations,
                canManage ? (instanceId) => licenseFileHref(license.id, instanceId) : undefined,
              )}
              maxActivations={license.maxActivations}
              slots={status.slots}
              heartbeatWindow={heartbeatWords(license)}
              deactivateAction={canManage ? deactivateInstallationAction.bind(null, license.id) : undefined}
            />
          </div>
          {canManage && usable ? (
            <AirGappedPanel
              issueAction={issueLicenseFileAction.bind(null, license.id)}
              deactivateAction={deactivationCodeAction.bind(null, license.id)}
            />
          ) : null}
          <BillingCard licenseId={license.id} role={role ?? "viewer"} />
        </>
      ) : null}

      {/* One place in the tree whatever the license: activating a first paid key changes the layout,
          and a remounted form would drop its "License activated" confirmation. */}
      <div className={paid ? "" : "grid grid-cols-1 gap-6 lg:grid-cols-2"}>
        {activateCard}
        {paid ? null : trialCard}
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
    </div>
  );
}
