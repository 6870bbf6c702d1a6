import { isLicenseError } from "@ticketzero/core/license/errors";
import { PAID_PLAN_IDS, PLAN_ORDER, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { requireLicenseRole } from "@ticketzero/core/license/teams";
import { subscriptionById } from "@ticketzero/core/stripe/subscriptions";
import type { Metadata } from "next";
import { BillingForm } from "@/components/billing/billing-form";
import { formatDate } from "@/components/license/format";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { requireUser } from "../../_lib/session";
import { autoRenewAction, downgradeAction, simulateRenewalAction } from "./actions";

export const metadata: Metadata = { title: "Manage billing (test mode)", robots: { index: false } };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * Test mode's stand-in for Stripe's Customer Portal: the same subscription
 * changes (cancel at period end, resume, plan at renewal) over the same core
 * functions the webhook uses. Owners and admins only, checked here and in
 * every action.
 */
export default async function TestBillingPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).license;
  const licenseId = Array.isArray(raw) ? raw[0] : raw;
  const user = await requireUser(`/admin/license/billing?license=${encodeURIComponent(licenseId ?? "")}`);
  let access: Awaited<ReturnType<typeof requireLicenseRole>>;
  try {
    access = await requireLicenseRole(user.id, licenseId, "admin");
  } catch (error) {
    return (
      <div className="space-y-6">
        <h1 className="text-2xl font-bold">Manage billing</h1>
        <Alert tone="error" title="Not available">
          {isLicenseError(error) ? error.message : "This license is not on your account."}
        </Alert>
        <Button href="/admin/license" variant="secondary">
          Back to License &amp; Billing
        </Button>
      </div>
    );
  }
  const { license } = access;
  const subscription = await subscriptionById(license.stripeSubscriptionId);
  const lower = PAID_PLAN_IDS.filter((p) => PLAN_ORDER.indexOf(p) < PLAN_ORDER.indexOf(license.plan as PlanId));
  const fields = { licenseId: license.id };

  return (
    <div className="space-y-6">
      <div>
        <p className="inline-flex items-center rounded-full bg-amber-800 px-3 py-1 text-xs font-bold tracking-wide text-white uppercase">
          Test mode
        </p>
        <h1 className="mt-2 text-2xl font-bold sm:text-3xl">Manage billing</h1>
        <p className="mt-1 text-slate-600">
          This page stands in for Stripe’s billing portal while no Stripe key is configured. Nothing is charged.
        </p>
      </div>
      {subscription?.mode !== "test" ? (
        <Alert tone="info" title="Nothing to manage here">
          This license has no test-mode subscription. Use Manage billing in License &amp; Billing.
        </Alert>
      ) : (
        <>
          <Card as="section" aria-labelledby="renew-heading">
            <CardHeader
              id="renew-heading"
              title="Auto-renew"
              description={
                subscription.cancelAtPeriodEnd
                  ? `Off: the ${PLANS[license.plan as PlanId]?.name} license runs until ${formatDate(license.expiresAt)}, then expires.`
                  : `On: renews on ${formatDate(subscription.currentPeriodEnd ?? license.expiresAt)}.`
              }
            />
            <div className="flex flex-wrap gap-4">
              {subscription.cancelAtPeriodEnd ? (
                <BillingForm action={autoRenewAction} fields={{ ...fields, renew: "on" }} label="Resume auto-renew" />
              ) : (
                <>
                  <BillingForm
                    action={autoRenewAction}
                    fields={{ ...fields, renew: "off" }}
                    label="Cancel at period end"
                    variant="danger"
                    confirm={`Turn off auto-renew? The license keeps working until ${formatDate(license.expiresAt)}, then expires.`}
                  />
                  <BillingForm action={simulateRenewalAction} fields={fields} label="Simulate the renewal charge now" />
                </>
              )}
            </div>
          </Card>
          {lower.length || subscription.scheduledPlan ? (
            <Card as="section" aria-labelledby="downgrade-heading">
              <CardHeader
                id="downgrade-heading"
                title="Plan at renewal"
                description="A lower plan starts at the next renewal; your current plan runs until then."
              />
              <div className="flex flex-wrap gap-4">
                {subscription.scheduledPlan ? (
                  <BillingForm
                    action={downgradeAction}
                    fields={{ ...fields, plan: license.plan }}
                    label={`Keep ${PLANS[license.plan as PlanId]?.name} (cancel the change to ${PLANS[subscription.scheduledPlan as PlanId]?.name})`}
                  />
                ) : (
                  lower.map((plan) => (
                    <BillingForm
                      key={plan}
                      action={downgradeAction}
                      fields={{ ...fields, plan }}
                      label={`Switch to ${PLANS[plan].name} at renewal`}
                    />
                  ))
                )}
              </div>
            </Card>
          ) : null}
        </>
      )}
      <Button href="/admin/license" variant="secondary">
        Back to License &amp; Billing
      </Button>
    </div>
  );
}
