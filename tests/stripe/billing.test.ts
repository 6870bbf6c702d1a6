/**
 * Billing in Stripe mode against the stand-in: renewals as payments, the
 * subscription mirror applied by event time (none lost, none reordered),
 * prorated upgrades by changing the subscription, downgrades at renewal, and
 * the Customer Portal.
 */

import { getDb } from "@ticketzero/core/db/client";
import { checkoutSessions, subscriptions } from "@ticketzero/core/db/schema";
import { statusByKey } from "@ticketzero/core/license/license-status";
import type { PaidPlanId } from "@ticketzero/core/license/plans";
import { decryptKey } from "@ticketzero/core/license/vault";
import { resetConfig } from "@ticketzero/core/server/config";
import { createCheckout } from "@ticketzero/core/stripe/checkout";
import {
  billingPortalUrl,
  billingSummary,
  receiptFor,
  scheduleDowngrade,
  subscriptionById,
} from "@ticketzero/core/stripe/subscriptions";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver, stripeEvent, WEBHOOK_SECRET } from "./support/events";
import { accountOf, auditOf, DAY_MS, licenseById, licensesOf, paymentsOf, uniqueEmail } from "./support/helpers";
import { type StripeStandin, startSeededStripeStandin } from "./support/stripe-standin";

process.env.STRIPE_SECRET_KEY = "sk_test_x";
process.env.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
process.env.PUBLIC_URL = "https://portal.example.test";
resetConfig();

let stripe: StripeStandin;
beforeAll(async () => {
  stripe = await startSeededStripeStandin();
});
afterAll(async () => {
  await stripe?.stop();
});

const ctxOf = (userId: string) => ({ actor: `user:${userId}`, accountId: userId });

/** A signed-in owner buys a plan; the checkout completes through the webhook. */
async function buy(plan: PaidPlanId, email: string) {
  const { userId, teamId } = await accountOf(email);
  const { sessionId } = await createCheckout({ plan, email, accountId: userId, teamId });
  const session = stripe.paySession(sessionId);
  expect((await deliver(stripeEvent("checkout.session.completed", session))).status).toBe(200);
  const [license] = await licensesOf(email);
  return { license: license!, session, userId, subscriptionId: session.subscription as string };
}

function cycleInvoice(subscriptionId: string, periodEnd: Date, amount: number) {
  const invoice = stripe.makeInvoice(stripe.subscriptions.get(subscriptionId)!, "subscription_cycle", amount);
  const end = Math.floor(periodEnd.getTime() / 1000);
  invoice.lines = { object: "list", data: [{ id: "il_x", period: { start: end - 365 * 86400, end } }] };
  return invoice;
}

describe("payments and receipts", () => {
  it("the purchase and each renewal are payments with their kind, amount and Stripe receipt; replays add none", async () => {
    const email = uniqueEmail("history");
    const { license, subscriptionId, session } = await buy("professional", email);
    const [purchase] = await paymentsOf(email);
    expect(purchase).toMatchObject({
      kind: "purchase",
      amountCents: 450_000,
      receiptUrl: `https://invoice.stripe.test/i/${session.invoice}`,
    });

    const periodEnd = new Date(license.expiresAt.getTime() + 365 * DAY_MS);
    const invoice = cycleInvoice(subscriptionId, periodEnd, 450_000);
    const event = stripeEvent("invoice.paid", invoice);
    expect((await deliver(event)).status).toBe(200);
    // The same invoice reported again under another event id (Stripe resends): still one payment.
    expect((await deliver(stripeEvent("invoice.paid", invoice))).body).toMatchObject({ recorded: false });

    const rows = await paymentsOf(email);
    expect(rows).toHaveLength(2);
    const renewal = rows.find((p) => p.kind === "renewal")!;
    expect(renewal).toMatchObject({
      checkoutSessionId: invoice.id,
      licenseId: license.id,
      amountCents: 450_000,
      currency: "usd",
      receiptUrl: invoice.hosted_invoice_url,
    });
    expect((await licenseById(license.id)).expiresAt.getTime()).toBe(Math.floor(periodEnd.getTime() / 1000) * 1000);

    const summary = await billingSummary(await licenseById(license.id));
    expect(summary.payments.map((p) => p.kind)).toEqual(["renewal", "purchase"]);
    expect(summary.nextCharge).toMatchObject({ amountCents: 450_000, plan: "professional" });
    expect(summary.nextCharge!.at.getTime()).toBe(Math.floor(periodEnd.getTime() / 1000) * 1000);

    // Receipts open for the team only.
    const { userId: owner } = await accountOf(email);
    expect((await receiptFor(owner, invoice.id)).payment.amountCents).toBe(450_000);
    const stranger = await accountOf(uniqueEmail("nosy"));
    await expect(receiptFor(stranger.userId, invoice.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("subscription events in the order Stripe created them", () => {
  it("an older event than the one applied changes nothing", async () => {
    const email = uniqueEmail("order");
    const { license, subscriptionId } = await buy("starter", email);
    const base = { id: subscriptionId, object: "subscription", status: "active", cancel_at: null };
    const later = stripeEvent("customer.subscription.updated", { ...base, cancel_at_period_end: true });
    const earlier = stripeEvent("customer.subscription.updated", { ...base, cancel_at_period_end: false });
    earlier.created = later.created - 60;

    await deliver(later);
    const stale = await deliver(earlier);
    expect(stale.body).toMatchObject({ stale: true });
    expect((await licenseById(license.id)).cancelAtPeriodEnd).toBe(true);
    expect(await subscriptionById(subscriptionId)).toMatchObject({ cancelAtPeriodEnd: true });
    expect((await billingSummary(await licenseById(license.id))).nextCharge).toBeNull();
  });

  it("a cancel-at-period-end that arrives before checkout.session.completed reaches the license created later", async () => {
    const email = uniqueEmail("early");
    const { userId } = await accountOf(email);
    const { sessionId } = await createCheckout({ plan: "starter", email, accountId: userId });
    const session = stripe.paySession(sessionId);
    const subscription = stripe.subscriptions.get(session.subscription as string)!;

    const early = await deliver(
      stripeEvent("customer.subscription.updated", { ...subscription, cancel_at_period_end: true }),
    );
    expect(early.status).toBe(200);
    expect(await licensesOf(email)).toHaveLength(0);
    const [kept] = await getDb().select().from(subscriptions).where(eq(subscriptions.id, subscription.id));
    expect(kept).toMatchObject({ cancelAtPeriodEnd: true });

    await deliver(stripeEvent("checkout.session.completed", session));
    const [license] = await licensesOf(email);
    expect(license!.cancelAtPeriodEnd).toBe(true);
    expect(await subscriptionById(subscription.id)).toMatchObject({ cancelAtPeriodEnd: true, plan: "starter" });
  });
});

describe("plan changes", () => {
  it("an upgrade changes the subscription with proration, issues the new key at once, keeps the old in grace, once", async () => {
    const email = uniqueEmail("prorate");
    const { license: old, userId, subscriptionId } = await buy("starter", email);
    const attempt = () =>
      createCheckout({ plan: "professional", email, accountId: userId, upgradeFromLicenseId: old.id });
    // A double click: two requests at once.
    const results = await Promise.allSettled([attempt(), attempt()]);
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "CONFLICT" });
    }
    const { url } = (ok[0] as PromiseFulfilledResult<{ url: string }>).value;
    expect(url).toMatch(/^\/admin\/license\/billing\/upgraded\?license=/);

    // No second checkout: the subscription's item moved to the Professional price, prorated and invoiced now.
    expect(
      stripe.requestsTo("POST", "/v1/checkout/sessions").filter((r) => r.params.customer_email === email),
    ).toHaveLength(1);
    const updates = stripe.requestsTo("POST", `/v1/subscriptions/${subscriptionId}`);
    const professional = [...stripe.prices.values()].find((p) => p.lookup_key === "ticketzero_professional_yearly")!;
    expect(updates.at(-1)!.params).toMatchObject({
      items: [{ price: professional.id }],
      proration_behavior: "always_invoice",
      metadata: { plan: "professional", upgradeFrom: old.id },
    });
    expect(updates.at(-1)!.headers["idempotency-key"]).toBe(`tz-upgrade-${old.id}:professional`);

    const all = await licensesOf(email);
    expect(all.map((l) => l.plan)).toEqual(["starter", "professional"]);
    const upgraded = all[1]!;
    expect(upgraded).toMatchObject({ stripeSubscriptionId: subscriptionId, state: "active" });
    expect(upgraded.expiresAt).toEqual(old.expiresAt); // same period: the proration paid for the rest of it
    const superseded = await licenseById(old.id);
    expect(superseded).toMatchObject({ state: "superseded", supersededBy: upgraded.id });
    const status = await statusByKey(decryptKey(superseded.keyCiphertext), null);
    expect(status.valid).toBe(true);
    expect(status.warnings.map((w) => w.code)).toContain("UPGRADE_GRACE_PERIOD");

    const proration = (await paymentsOf(email)).filter((p) => p.kind === "proration");
    expect(proration).toHaveLength(1);
    // (4,500 − 2,500) × nearly a whole year left.
    expect(proration[0]!.amountCents).toBeGreaterThan(199_000);
    expect(proration[0]!.amountCents).toBeLessThanOrEqual(200_000);
    expect(proration[0]!.receiptUrl).toMatch(/^https:\/\/invoice\.stripe\.test\/i\/in_/);
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "professional" });

    // Stripe's own invoice.paid for the proration afterwards records nothing more.
    const invoice = stripe.invoices.get(proration[0]!.checkoutSessionId)!;
    await deliver(stripeEvent("invoice.paid", invoice));
    expect((await paymentsOf(email)).filter((p) => p.kind === "proration")).toHaveLength(1);
    // A retry after it succeeded: the old license is replaced, nothing is charged twice.
    await expect(attempt()).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await licensesOf(email)).toHaveLength(2);
  });

  it("a downgrade waits for the renewal, which issues the lower tier's key and keeps the old in grace", async () => {
    const email = uniqueEmail("downgrade");
    const { license, userId, subscriptionId } = await buy("enterprise", email);
    await scheduleDowngrade(userId, license.id, "starter", ctxOf(userId));
    const starterPrice = [...stripe.prices.values()].find((p) => p.lookup_key === "ticketzero_starter_yearly")!;
    expect(stripe.requestsTo("POST", `/v1/subscriptions/${subscriptionId}`).at(-1)!.params).toMatchObject({
      items: [{ price: starterPrice.id }],
      proration_behavior: "none",
    });
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "enterprise", scheduledPlan: "starter" });
    // Until the renewal nothing changes, and the next charge is the lower price.
    expect((await licenseById(license.id)).state).toBe("active");
    expect((await billingSummary(license)).nextCharge).toMatchObject({ plan: "starter", amountCents: 250_000 });

    const periodEnd = new Date(license.expiresAt.getTime() + 365 * DAY_MS);
    const response = await deliver(stripeEvent("invoice.paid", cycleInvoice(subscriptionId, periodEnd, 250_000)));
    expect(response.body).toMatchObject({ downgradedTo: "starter" });
    const [old, lower] = await licensesOf(email);
    expect(lower).toMatchObject({ plan: "starter", state: "active", stripeSubscriptionId: subscriptionId });
    expect(lower!.expiresAt.getTime()).toBe(Math.floor(periodEnd.getTime() / 1000) * 1000);
    expect(old).toMatchObject({ state: "superseded", supersededBy: lower!.id });
    expect(old!.graceEndsAt!.getTime()).toBeGreaterThan(Date.now() + 13 * DAY_MS);
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "starter", scheduledPlan: null });
    expect((await paymentsOf(email)).find((p) => p.kind === "renewal")).toMatchObject({
      licenseId: lower!.id,
      amountCents: 250_000,
    });
  });
});

describe("Manage billing", () => {
  it("opens a Customer Portal session for owners and admins only, audited", async () => {
    const email = uniqueEmail("portal");
    const { license, userId, session } = await buy("starter", email);
    const url = await billingPortalUrl(userId, license.id, ctxOf(userId));
    expect(url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    expect(stripe.portalSessions.at(-1)).toMatchObject({
      customer: session.customer,
      return_url: "https://portal.example.test/admin/license",
    });
    expect(await auditOf(license.id, "billing.portal_opened")).toHaveLength(1);

    const stranger = await accountOf(uniqueEmail("stranger"));
    await expect(billingPortalUrl(stranger.userId, license.id, ctxOf(stranger.userId))).rejects.toMatchObject({
      code: "LICENSE_NOT_FOUND",
    });
    const [row] = await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.id, session.id));
    expect(row!.status).toBe("paid");
  });
});
