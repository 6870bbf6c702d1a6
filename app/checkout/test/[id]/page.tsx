import { checkoutSessionInfo } from "@ticketzero/core/license/fulfilment";
import { formatPrice, isPaidPlanId, PLANS } from "@ticketzero/core/license/plans";
import { config } from "@ticketzero/core/server/config";
import { isTestMode } from "@ticketzero/core/stripe/client";
import type { Metadata } from "next";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { TestModeBanner } from "../../test-mode-banner";
import { TestPayButton } from "./pay-button";

export const metadata: Metadata = { title: "Test-mode checkout", robots: { index: false } };
export const dynamic = "force-dynamic";

function Problem({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="container-page max-w-2xl py-12 sm:py-16">
      <h1 className="text-3xl font-bold">Test-mode checkout</h1>
      <Alert tone="error" title={title} className="mt-6">
        {children}
      </Alert>
      <Button href="/plans" variant="secondary" className="mt-6">
        Back to plans
      </Button>
    </div>
  );
}

export default async function TestCheckoutPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!isTestMode() || config().isProduction) {
    return (
      <Problem title="Test mode is off">
        This server takes real payments through Stripe; test checkouts are disabled.
      </Problem>
    );
  }
  const session = await checkoutSessionInfo(id);
  if (session?.mode !== "test" || !isPaidPlanId(session.plan)) {
    return (
      <Problem title="Checkout not found">This test checkout does not exist. Start again from the plans page.</Problem>
    );
  }
  const plan = PLANS[session.plan];
  const price = formatPrice(plan.priceCents);
  const kind = session.renewLicenseId ? "Renewal" : session.upgradeFromLicenseId ? "Upgrade" : "New license";

  return (
    <div className="container-page max-w-3xl py-12 sm:py-16">
      <p className="inline-flex items-center rounded-full bg-amber-800 px-3 py-1 text-xs font-bold tracking-wide text-white uppercase">
        Test mode
      </p>
      <h1 className="mt-3 text-3xl font-bold sm:text-4xl">TEST MODE checkout</h1>
      <p className="mt-2 text-slate-600">
        This page stands in for Stripe Checkout. Paying here runs the same fulfilment as a real payment.
      </p>
      <div className="mt-6">
        <TestModeBanner>
          No card details are asked for and nothing is charged. Use it for demos and development only.
        </TestModeBanner>
      </div>

      <Card as="section" aria-labelledby="order-heading" padding="lg" className="mt-8">
        <h2 id="order-heading" className="text-lg font-semibold">
          Order summary
        </h2>
        <dl className="mt-5 divide-y divide-slate-200 text-sm">
          {[
            { label: "Product", value: `TicketZero AI ${plan.name} — yearly license` },
            { label: "Type", value: kind },
            { label: "Email", value: session.email },
            ...(session.company ? [{ label: "Company", value: session.company }] : []),
            { label: "Billing", value: "Yearly subscription" },
          ].map((row) => (
            <div key={row.label} className="flex flex-wrap justify-between gap-2 py-3">
              <dt className="text-slate-600">{row.label}</dt>
              <dd className="font-medium break-all text-slate-900">{row.value}</dd>
            </div>
          ))}
          <div className="flex justify-between gap-2 py-3 text-base">
            <dt className="font-semibold text-slate-900">Total due today</dt>
            <dd className="tabular font-bold text-slate-900">{price}</dd>
          </div>
        </dl>
        <div className="mt-6">
          {session.status === "paid" ? (
            <div className="space-y-4">
              <Alert tone="success" title="Already paid">
                This test checkout is paid. Your license is on the confirmation page.
              </Alert>
              <Button href={`/checkout/success?session_id=${encodeURIComponent(session.id)}`} fullWidth size="lg">
                View your license
              </Button>
            </div>
          ) : (
            <TestPayButton sessionId={session.id} price={price} />
          )}
        </div>
        <p className="mt-4 text-center text-sm">
          <a href="/plans" className="text-slate-600 underline-offset-2 hover:text-slate-900 hover:underline">
            Cancel and go back to plans
          </a>
        </p>
      </Card>
    </div>
  );
}
