import { isLicenseError } from "@ticketzero/core/license/errors";
import { type FulfilmentResult, fulfilCheckoutSession } from "@ticketzero/core/license/fulfilment";
import { PLANS } from "@ticketzero/core/license/plans";
import { roleAtLeast, roleInTeam } from "@ticketzero/core/license/teams";
import { claimKeyReveal, maskEmail } from "@ticketzero/core/stripe/buyer";
import type { Metadata } from "next";
import { formatDate } from "@/components/license/format";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { ArrowRightIcon, CheckCircleIcon, KeyIcon } from "@/components/ui/icons";
import { sessionUser } from "@/lib/auth/session";
import { readBuyerToken } from "../buyer-cookie";

export const metadata: Metadata = { title: "Payment received", robots: { index: false } };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function Problem({ title, children, retry }: { title: string; children: React.ReactNode; retry?: string }) {
  return (
    <div className="container-page max-w-2xl py-12 sm:py-16">
      <h1 className="text-3xl font-bold">Checkout</h1>
      <Alert tone="error" title={title} className="mt-6">
        {children}
      </Alert>
      <div className="mt-6 flex flex-wrap gap-3">
        {retry ? <Button href={retry}>Check again</Button> : null}
        <Button href="/plans" variant="secondary">
          Back to plans
        </Button>
      </div>
    </div>
  );
}

export default async function CheckoutSuccessPage({ searchParams }: { searchParams: SearchParams }) {
  const sessionId = first((await searchParams).session_id) ?? "";
  if (!sessionId) {
    return (
      <Problem title="No checkout to show">
        This page needs the checkout it confirms. Start from the plans page.
      </Problem>
    );
  }

  let result: FulfilmentResult;
  try {
    result = await fulfilCheckoutSession(sessionId, "success_page");
  } catch (error) {
    if (isLicenseError(error) && error.code === "CONFLICT") {
      const retry = `/checkout/success?session_id=${encodeURIComponent(sessionId)}`;
      return (
        <Problem title="Payment not completed yet" retry={retry}>
          We have not received the payment for this checkout. If you just paid, it can take a moment to confirm: check
          again shortly. Your license key will also arrive by email as soon as the payment is confirmed.
        </Problem>
      );
    }
    if (isLicenseError(error) && error.status < 500) {
      return (
        <Problem title="Checkout not found">
          We couldn’t find a paid TicketZero checkout with this reference. Check the link, or start again from the plans
          page.
        </Problem>
      );
    }
    console.error("[checkout] success page fulfilment failed:", error instanceof Error ? error.message : error);
    const retry = `/checkout/success?session_id=${encodeURIComponent(sessionId)}`;
    return (
      <Problem title="We couldn’t show your license right now" retry={retry}>
        Your payment is safe. Issuing the license hit a temporary problem; check again in a minute, and the key will
        also arrive by email.
      </Problem>
    );
  }

  const { license, key, email, kind } = result;
  const plan = PLANS[result.plan];
  // Renewals keep their key: nothing to reveal. Otherwise only the paying browser, once, shortly after payment.
  const reveal =
    kind === "renewal" ? "not_needed" : await claimKeyReveal(sessionId, await readBuyerToken(), result.paidAt);
  const showKey = reveal === "reveal";
  const user = await sessionUser().catch(() => null);
  const runsIt = user && license.teamId ? roleAtLeast(await roleInTeam(user.id, license.teamId), "admin") : false;
  const signInHref = `/signin?${new URLSearchParams({ email, callbackUrl: "/admin/license" }).toString()}`;
  const lead =
    kind === "renewal"
      ? `Your ${plan.name} license is renewed until ${formatDate(license.expiresAt)}. The key stays the same.`
      : kind === "upgrade"
        ? `Your new ${plan.name} license is ready. Your previous key keeps working for a grace period while you switch.`
        : `Your ${plan.name} license is ready.`;

  return (
    <div className="container-page max-w-3xl py-12 sm:py-16">
      <div className="flex items-center gap-3">
        <span className="flex size-12 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 ring-1 ring-emerald-200">
          <CheckCircleIcon className="size-7" />
        </span>
        <h1 className="text-3xl font-bold sm:text-4xl">Payment received</h1>
      </div>
      <p className="mt-3 text-lg text-slate-600">{lead}</p>

      <Card as="section" aria-labelledby="license-heading" padding="lg" className="mt-8">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="license-heading" className="flex items-center gap-2 text-lg font-semibold">
            <KeyIcon className="size-5 text-brand-600" />
            Your TicketZero AI {plan.name} license
          </h2>
          <Badge tone="success">{plan.name}</Badge>
        </div>
        {showKey ? (
          <>
            <div className="mt-5 flex flex-wrap items-center gap-3 rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200 ring-inset">
              <code
                data-testid="license-key"
                className="min-w-0 flex-1 font-mono text-base font-semibold tracking-wide break-all text-slate-900 sm:text-lg"
              >
                {key}
              </code>
              <CopyButton text={key} label="Copy license key" />
            </div>
            <p className="mt-3 text-sm text-slate-600">
              Copy it now: this page shows the key only once. Keep it private, it is what your server uses to activate.
              We also emailed it to {maskEmail(email)}, and your team’s owners and admins can see it in License &amp;
              Billing.
            </p>
          </>
        ) : kind === "renewal" ? null : (
          <Alert tone="info" className="mt-5" title="Your license is ready">
            <span data-testid="key-withheld">
              We emailed the key to {maskEmail(email)}. Sign in to see it in the Admin Panel → License &amp; Billing.
            </span>
          </Alert>
        )}
        <dl className="mt-6 grid gap-4 text-sm sm:grid-cols-3">
          <div>
            <dt className="text-slate-600">Plan</dt>
            <dd className="font-semibold text-slate-900">{plan.name}</dd>
          </div>
          <div>
            <dt className="text-slate-600">Valid until</dt>
            <dd className="font-semibold text-slate-900">{formatDate(license.expiresAt)}</dd>
          </div>
          <div>
            <dt className="text-slate-600">Key</dt>
            <dd className="font-mono font-semibold break-all text-slate-900">{license.keyMasked}</dd>
          </div>
        </dl>
        <div className="mt-6 flex flex-wrap gap-3">
          {runsIt ? (
            <Button href={`/admin/license?license=${encodeURIComponent(license.id)}`} trailingIcon={<ArrowRightIcon />}>
              Open License &amp; Billing
            </Button>
          ) : (
            <Button href={signInHref} trailingIcon={<ArrowRightIcon />}>
              Sign in to the Admin Panel
            </Button>
          )}
        </div>
      </Card>

      <section aria-labelledby="next-heading" className="mt-10">
        <h2 id="next-heading" className="text-xl font-semibold">
          {kind === "renewal" ? "Nothing else to do" : "Install it"}
        </h2>
        {kind === "renewal" ? (
          <p className="mt-3 text-slate-600">
            Your TicketZero AI servers pick up the new expiry date by themselves at their next check-in.
          </p>
        ) : (
          <ol className="mt-4 space-y-5">
            {[
              {
                title: "Set the key on your TicketZero AI server",
                body: (
                  <>
                    Enter it on the server’s setup screen, or set the environment variable{" "}
                    <code className="rounded bg-slate-100 px-1 py-0.5 text-slate-900">TZ_LICENSE_KEY</code> to it.
                    {kind === "upgrade" ? " It replaces your previous key there." : null}
                  </>
                ),
              },
              {
                title: "Start (or restart) the server",
                body: "It activates itself with the key and shows your plan. Nothing else to install.",
              },
              {
                title: "Manage it in License & Billing",
                body: "Sign in to see status, usage, installations, payments and receipts, and to renew or upgrade.",
              },
            ].map((step, i) => (
              <li key={step.title} className="flex gap-4">
                <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-brand-600 text-sm font-bold text-white">
                  {i + 1}
                </span>
                <div className="min-w-0 flex-1">
                  <h3 className="font-semibold">{step.title}</h3>
                  <p className="mt-1 text-sm text-slate-600">{step.body}</p>
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
