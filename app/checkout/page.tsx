import { getDb } from "@ticketzero/core/db/client";
import { licenses } from "@ticketzero/core/db/schema";
import { featureList, formatPrice, isPaidPlanId, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { licensesOfUser, roleAtLeast } from "@ticketzero/core/license/teams";
import { isTestMode } from "@ticketzero/core/stripe/client";
import { eq } from "drizzle-orm";
import type { Metadata } from "next";
import Link from "next/link";
import { formatDate } from "@/components/license/format";
import { planLimitRows } from "@/components/plans/plan-card";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { CheckIcon, ShieldIcon } from "@/components/ui/icons";
import { sessionUser } from "@/lib/auth/session";
import { CheckoutForm } from "./checkout-form";
import { TestModeBanner } from "./test-mode-banner";

export const metadata: Metadata = { title: "Checkout", robots: { index: false } };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function currentUser() {
  try {
    return await sessionUser();
  } catch {
    return null;
  }
}

async function targetLicense(id: string | undefined) {
  if (!id || !UUID.test(id)) return null;
  const [row] = await getDb().select().from(licenses).where(eq(licenses.id, id));
  return row ?? null;
}

export default async function CheckoutPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const upgradeFrom = first(params.upgradeFrom) ?? null;
  const renew = upgradeFrom ? null : (first(params.renew) ?? null);
  const [user, renewed, upgraded] = await Promise.all([
    currentUser(),
    targetLicense(renew ?? undefined),
    targetLicense(upgradeFrom ?? undefined),
  ]);
  const planParam = first(params.plan) ?? (renewed ? renewed.plan : undefined);
  const testMode = isTestMode();

  if (!isPaidPlanId(planParam)) {
    return (
      <div className="container-page max-w-2xl py-12 sm:py-16">
        <h1 className="text-3xl font-bold">Checkout</h1>
        <Alert tone="error" title="Choose a plan first" className="mt-6">
          {planParam ? `“${planParam}” is not a plan you can buy. ` : null}
          Pick Starter, Professional or Enterprise on the plans page.
        </Alert>
        <Button href="/plans" className="mt-6">
          See plans &amp; pricing
        </Button>
      </div>
    );
  }

  const plan = PLANS[planParam];
  const features = featureList(plan.features);
  const mine = user ? await licensesOfUser(user.id) : [];
  // Only the license's owner or an admin of its team sees which key a renewal or upgrade is for.
  const owned = (row: typeof renewed) =>
    Boolean(row && mine.some((m) => m.license.id === row.id && roleAtLeast(m.role, "admin")));
  const kind = renew ? "renewal" : upgradeFrom ? "upgrade" : "purchase";
  const heading =
    kind === "renewal" ? `Renew ${plan.name}` : kind === "upgrade" ? `Upgrade to ${plan.name}` : `Buy ${plan.name}`;
  const context =
    kind === "renewal"
      ? owned(renewed) && renewed
        ? `Extends ${renewed.keyMasked} by a year from ${renewed.expiresAt > new Date() ? formatDate(renewed.expiresAt) : "today"}. Your key stays the same.`
        : "Extends your existing license by a year. Your key stays the same."
      : kind === "upgrade"
        ? `You get a new ${plan.name} key right away; your ${
            owned(upgraded) && upgraded
              ? `${PLANS[upgraded.plan as PlanId]?.name ?? ""} key ${upgraded.keyMasked}`
              : "current key"
          } keeps working during a grace period while you switch.`
        : `A yearly ${plan.name} license for TicketZero AI, renewed automatically each year until you cancel.`;

  return (
    <div className="container-page py-12 sm:py-16">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-600">
        <Link href="/plans" className="underline-offset-2 hover:text-slate-900 hover:underline">
          Plans &amp; pricing
        </Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">Checkout</span>
      </nav>
      <h1 className="mt-3 text-3xl font-bold sm:text-4xl">{heading}</h1>
      <p className="mt-2 max-w-2xl text-slate-600">{context}</p>

      {testMode ? (
        <div className="mt-6 max-w-3xl">
          <TestModeBanner />
        </div>
      ) : null}

      <div className="mt-8 grid gap-8 lg:grid-cols-[1fr_26rem] lg:items-start">
        <Card as="section" aria-labelledby="summary-heading" padding="lg">
          <div className="flex flex-wrap items-start justify-between gap-4">
            <div>
              <h2 id="summary-heading" className="text-lg font-semibold">
                TicketZero AI {plan.name}
              </h2>
              <p className="mt-1 text-sm text-slate-600">Yearly license, billed once a year</p>
            </div>
            <div className="flex items-center gap-2">
              {plan.recommended ? <Badge tone="brand">Recommended</Badge> : null}
              {testMode ? <Badge tone="warning">Test mode</Badge> : null}
            </div>
          </div>
          <p className="mt-6 flex items-baseline gap-1.5">
            <span className="tabular text-4xl font-bold text-slate-900">{formatPrice(plan.priceCents)}</span>
            <span className="text-slate-600">/ year</span>
          </p>
          <h3 className="mt-8 text-sm font-semibold text-slate-900">Limits</h3>
          <dl className="mt-3 grid grid-cols-3 gap-2 sm:gap-3">
            {planLimitRows(plan).map((row) => (
              <div key={row.label} className="rounded-xl bg-slate-50 p-3 ring-1 ring-slate-200 ring-inset">
                <dt className="text-xs text-slate-600">{row.label}</dt>
                <dd className="tabular mt-0.5 text-lg font-semibold text-slate-900">{row.value}</dd>
              </div>
            ))}
          </dl>
          <h3 className="mt-8 text-sm font-semibold text-slate-900">Included features</h3>
          <ul className="mt-3 grid gap-2 sm:grid-cols-2">
            {features.map((feature) => (
              <li key={feature.key} className="flex items-start gap-2 text-sm text-slate-800">
                <CheckIcon className="mt-0.5 size-4 shrink-0 text-brand-600" />
                {feature.name}
              </li>
            ))}
          </ul>
          <div className="mt-8 flex items-start gap-2 border-t border-slate-200 pt-5 text-sm text-slate-600">
            <ShieldIcon className="mt-0.5 size-4 shrink-0 text-slate-500" />
            <p>
              Your key appears on the next page and arrives by email. Cancel any time: the license keeps working to the
              end of the year you paid for.
            </p>
          </div>
        </Card>

        <Card as="section" aria-labelledby="details-heading" padding="lg">
          <h2 id="details-heading" className="text-lg font-semibold">
            Your details
          </h2>
          <p className="mt-1 mb-6 text-sm text-slate-600">
            {user ? `Signed in as ${user.email}.` : "Already a customer? "}
            {user ? null : (
              <Link
                href={`/signin?callbackUrl=${encodeURIComponent(`/checkout?${new URLSearchParams(Object.entries({ plan: plan.id, ...(upgradeFrom ? { upgradeFrom } : {}), ...(renew ? { renew } : {}) })).toString()}`)}`}
                className="font-medium text-brand-700 underline-offset-2 hover:underline"
              >
                Sign in
              </Link>
            )}
          </p>
          <CheckoutForm
            plan={plan.id}
            upgradeFrom={upgradeFrom}
            renew={renew}
            defaultEmail={user?.email ?? ""}
            testMode={testMode}
          />
        </Card>
      </div>
    </div>
  );
}
