import { isLicenseError } from "@ticketzero/core/license/errors";
import { type FulfilmentResult, fulfilCheckoutSession } from "@ticketzero/core/license/fulfilment";
import { PLANS } from "@ticketzero/core/license/plans";
import { config } from "@ticketzero/core/server/config";
import type { Metadata } from "next";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { ArrowRightIcon, CheckCircleIcon, KeyIcon } from "@/components/ui/icons";

export const metadata: Metadata = { title: "Payment received", robots: { index: false } };
export const dynamic = "force-dynamic";

/** The key is shown on this page for a week after payment; after that, in the Admin Panel only. */
const KEY_VISIBLE_MS = 7 * 86_400_000;

type SearchParams = Promise<Record<string, string | string[] | undefined>>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const day = (date: Date) => new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" }).format(date);

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
  const showKey = Date.now() - result.paidAt.getTime() <= KEY_VISIBLE_MS;
  const signInHref = `/signin?${new URLSearchParams({ email, callbackUrl: "/admin/license" }).toString()}`;
  const server = config().publicUrl;
  const shownKey = showKey ? key : "YOUR-LICENSE-KEY";
  const curl = `curl -X POST ${server}/admin/activate-license \\
  -H 'Content-Type: application/json' \\
  -d '{"licenseKey": "${shownKey}", "instanceName": "my-server"}'`;
  const cli = `npm run installation -- activate --server ${server} --key ${shownKey}`;
  const lead =
    kind === "renewal"
      ? `Your ${plan.name} license is renewed until ${day(license.expiresAt)}. The key stays the same.`
      : kind === "upgrade"
        ? `Your new ${plan.name} license is ready. Your previous key keeps working for a grace period while you switch.`
        : `Your ${plan.name} license is ready. We also emailed the key to ${email}.`;

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
              Keep this key private: it is the credential your installation uses. You can see it again in the Admin
              Panel.
            </p>
          </>
        ) : (
          <Alert tone="info" className="mt-5" title="Key hidden">
            For your security the key is shown here only during the first 7 days after purchase. Sign in to see it in
            the Admin Panel → License &amp; Billing.
          </Alert>
        )}
        <dl className="mt-6 grid gap-4 text-sm sm:grid-cols-3">
          <div>
            <dt className="text-slate-600">Plan</dt>
            <dd className="font-semibold text-slate-900">{plan.name}</dd>
          </div>
          <div>
            <dt className="text-slate-600">Valid until</dt>
            <dd className="font-semibold text-slate-900">{day(license.expiresAt)}</dd>
          </div>
          <div>
            <dt className="text-slate-600">Account</dt>
            <dd className="font-semibold break-all text-slate-900">{email}</dd>
          </div>
        </dl>
      </Card>

      <section aria-labelledby="next-heading" className="mt-10">
        <h2 id="next-heading" className="text-xl font-semibold">
          Next steps
        </h2>
        <ol className="mt-4 space-y-6">
          <li className="flex gap-4">
            <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-brand-600 text-sm font-bold text-white">
              1
            </span>
            <div className="min-w-0 flex-1">
              <h3 className="font-semibold">Open the Admin Panel</h3>
              <p className="mt-1 text-sm text-slate-600">
                Sign in with <strong className="break-all">{email}</strong> and open Admin Panel → License &amp; Billing
                to see status, usage, installations and renewal.
              </p>
              <Button href={signInHref} className="mt-3" trailingIcon={<ArrowRightIcon />}>
                Sign in to the Admin Panel
              </Button>
            </div>
          </li>
          <li className="flex gap-4">
            <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-brand-600 text-sm font-bold text-white">
              2
            </span>
            <div className="min-w-0 flex-1">
              <h3 className="font-semibold">Activate it on your installation</h3>
              <p className="mt-1 text-sm text-slate-600">
                Set the key in your TicketZero AI server, or activate from its shell with <code>curl</code>:
              </p>
              <pre
                // biome-ignore lint/a11y/noNoninteractiveTabindex: scrollable code must be reachable by keyboard (WCAG 2.1.1)
                tabIndex={0}
                className="mt-3 overflow-x-auto rounded-xl bg-slate-900 p-4 text-xs leading-relaxed text-slate-100"
              >
                <code>{curl}</code>
              </pre>
              <p className="mt-3 text-sm text-slate-600">or with the installation CLI:</p>
              <pre
                // biome-ignore lint/a11y/noNoninteractiveTabindex: scrollable code must be reachable by keyboard (WCAG 2.1.1)
                tabIndex={0}
                className="mt-2 overflow-x-auto rounded-xl bg-slate-900 p-4 text-xs leading-relaxed text-slate-100"
              >
                <code>{cli}</code>
              </pre>
            </div>
          </li>
        </ol>
      </section>
    </div>
  );
}
