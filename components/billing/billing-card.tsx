import { findById } from "@ticketzero/core/license/licenses";
import {
  formatPrice,
  isPaidPlanId,
  PAID_PLAN_IDS,
  PLAN_ORDER,
  PLANS,
  type PlanId,
} from "@ticketzero/core/license/plans";
import { type Role, roleAtLeast } from "@ticketzero/core/license/teams";
import { billingSummary } from "@ticketzero/core/stripe/subscriptions";
import { downgradeAction, manageBillingAction } from "@/app/admin/license/billing/actions";
import { formatDate } from "@/components/license/format";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { BillingForm } from "./billing-form";

export const PAYMENT_WORDS: Record<string, string> = {
  purchase: "Purchase",
  upgrade: "Upgrade",
  renewal: "Renewal",
  proration: "Upgrade (prorated)",
};

const planName = (plan: string) => PLANS[plan as PlanId]?.name ?? plan;

/** "$4,500.00": cents, so a prorated charge shows its exact amount. */
export function formatAmount(cents: number, currency: string): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

/**
 * License & Billing → Billing: auto-renew and the next charge, the payment
 * history with receipts (the license's and those it replaced), and "Manage
 * billing" for owners and admins. The page checked the viewer's role on the server.
 */
export async function BillingCard({ licenseId, role }: { licenseId: string; role: Role }) {
  const license = await findById(licenseId);
  const { payments, subscription, nextCharge } = await billingSummary(license);
  const manages = roleAtLeast(role, "admin");
  const scheduled = subscription?.scheduledPlan;
  // Plan changes at renewal: a live, auto-renewing subscription of an active paid license (the action re-checks).
  const changesPlan =
    manages &&
    isPaidPlanId(license.plan) &&
    license.state === "active" &&
    subscription !== null &&
    ["active", "trialing"].includes(subscription.status) &&
    !subscription.cancelAtPeriodEnd;
  const renewsOn = formatDate(subscription?.currentPeriodEnd ?? license.expiresAt);
  const lowerPlans = PAID_PLAN_IDS.filter(
    (plan) => PLAN_ORDER.indexOf(plan) < PLAN_ORDER.indexOf(license.plan as PlanId),
  );
  const renewWords = !subscription
    ? "No subscription: this license does not renew by itself."
    : subscription.status === "canceled"
      ? `Subscription ended. The license runs until ${formatDate(license.expiresAt)}.`
      : subscription.cancelAtPeriodEnd
        ? `Off. The license runs until ${formatDate(subscription.currentPeriodEnd ?? license.expiresAt)}, then expires.`
        : "On";

  return (
    <Card
      as="section"
      aria-labelledby="billing-heading"
      id="billing"
      className="scroll-mt-24"
      data-testid="billing-card"
    >
      <CardHeader
        id="billing-heading"
        title="Billing"
        description="Auto-renew, the next charge and every payment with its receipt."
        action={
          manages && isPaidPlanId(license.plan) && subscription ? (
            <BillingForm action={manageBillingAction} fields={{ licenseId }} label="Manage billing" />
          ) : null
        }
      />
      <dl className="grid gap-4 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-slate-600">Auto-renew</dt>
          <dd className="font-semibold text-slate-900" data-testid="auto-renew">
            {renewWords}
          </dd>
        </div>
        <div>
          <dt className="text-slate-600">Next charge</dt>
          <dd className="font-semibold text-slate-900" data-testid="next-charge">
            {nextCharge ? `${formatPrice(nextCharge.amountCents)} on ${formatDate(nextCharge.at)}` : "None scheduled"}
          </dd>
        </div>
        <div>
          <dt className="text-slate-600">Plan at renewal</dt>
          <dd className="font-semibold text-slate-900">
            {scheduled ? (
              <>
                {planName(scheduled)} <Badge tone="warning">changes at renewal</Badge>
              </>
            ) : (
              planName(subscription?.plan ?? license.plan)
            )}
          </dd>
        </div>
      </dl>

      {changesPlan && (scheduled || lowerPlans.length > 0) ? (
        <div className="mt-4 flex flex-wrap gap-3" data-testid="plan-change">
          {scheduled ? (
            <BillingForm
              action={downgradeAction}
              fields={{ licenseId, plan: license.plan }}
              label={`Keep ${planName(license.plan)}`}
            />
          ) : (
            lowerPlans.map((plan) => (
              <BillingForm
                key={plan}
                action={downgradeAction}
                fields={{ licenseId, plan }}
                label={`Switch to ${planName(plan)} at renewal`}
                confirm={`Switch to ${planName(plan)} at the renewal on ${renewsOn}? Until then nothing changes. From then the license has ${planName(plan)}'s limits and renews at ${formatPrice(PLANS[plan].priceCents)} a year.`}
              />
            ))
          )}
        </div>
      ) : null}

      <h3 className="mt-6 text-sm font-semibold text-slate-900">Payment history</h3>
      {payments.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">No payments yet for this license.</p>
      ) : (
        // relative: the sr-only words in the table stay inside the scroll box at 390 px.
        <div className="relative mt-2 overflow-x-auto">
          <table className="w-full min-w-[28rem] text-left text-sm" data-testid="payment-history">
            <caption className="sr-only">Payments for this license, newest first</caption>
            <thead className="text-slate-600">
              <tr>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Date
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  What
                </th>
                <th scope="col" className="py-2 pr-4 text-right font-medium">
                  Amount
                </th>
                <th scope="col" className="py-2 font-medium">
                  Receipt
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {payments.map((p) => (
                <tr key={p.id}>
                  <td className="py-2 pr-4 whitespace-nowrap">{formatDate(p.at)}</td>
                  <td className="py-2 pr-4">
                    {PAYMENT_WORDS[p.kind] ?? p.kind} · {planName(p.plan)}
                  </td>
                  <td className="tabular py-2 pr-4 text-right whitespace-nowrap">
                    {formatAmount(p.amountCents, p.currency)}
                  </td>
                  <td className="py-2">
                    <a
                      className="text-brand-700 underline underline-offset-2 hover:text-brand-900"
                      href={p.receiptUrl ?? `/admin/license/billing/receipt/${encodeURIComponent(p.id)}`}
                      {...(p.receiptUrl ? { target: "_blank", rel: "noopener noreferrer" } : {})}
                    >
                      Receipt<span className="sr-only"> for the {formatDate(p.at)} payment</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
