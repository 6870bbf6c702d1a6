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
    const priceChange = updates.find((u) => u.params.items)!;
    expect(priceChange.params).toMatchObject({
      items: [{ price: professional.id }],
      proration_behavior: "always_invoice",
      payment_behavior: "pending_if_incomplete",
    });
    expect(priceChange.headers["idempotency-key"]).toBe(`tz-upgrade-${old.id}:professional`);
    // The plan in the metadata follows once the charge went through (pending updates take no metadata).
    expect(updates.at(-1)!.params).toEqual({ metadata: { plan: "professional", upgradeFrom: old.id } });

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

  it("a declined proration changes nothing: Stripe keeps the price, the invoice is voided, the user is told what to do", async () => {
    const email = uniqueEmail("declined");
    const { license: old, userId, subscriptionId, session } = await buy("starter", email);
    stripe.declining.add(session.customer as string);
    const attempt = () =>
      createCheckout({ plan: "professional", email, accountId: userId, upgradeFromLicenseId: old.id });
    const error = await attempt().catch((e) => e);
    expect(error).toMatchObject({ code: "CONFLICT", extra: { details: { reason: "PAYMENT_DECLINED" } } });
    expect(error.message).toMatch(/declined.*plan did not change.*nothing was charged.*Manage billing/);

    // At Stripe: still Starter, no pending update left (its invoice was voided), nothing paid.
    const atStripe = stripe.subscriptions.get(subscriptionId)!;
    expect((atStripe.items as { data: { price: { lookup_key: string } }[] }).data[0]!.price.lookup_key).toBe(
      "ticketzero_starter_yearly",
    );
    expect(atStripe.pending_update).toBeNull();
    const declined = stripe.invoices.get(atStripe.latest_invoice as string)!;
    expect(declined).toMatchObject({ billing_reason: "subscription_update", status: "void", amount_paid: 0 });
    expect(stripe.requestsTo("POST", `/v1/invoices/${declined.id}/void`)).toHaveLength(1);
    // Here: the same license and key, no payment, plan unchanged; the attempt is audited.
    expect(await licensesOf(email)).toEqual([
      expect.objectContaining({ id: old.id, state: "active", plan: "starter" }),
    ]);
    expect((await paymentsOf(email)).map((p) => p.kind)).toEqual(["purchase"]);
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "starter" });
    expect(await auditOf(old.id, "billing.upgrade_payment_failed")).toHaveLength(1);

    // With a working card, the next attempt upgrades (a new idempotency key: not Stripe's stored decline).
    stripe.declining.delete(session.customer as string);
    const { url } = await attempt();
    expect(url).toMatch(/^\/admin\/license\/billing\/upgraded/);
    const changes = stripe.requestsTo("POST", `/v1/subscriptions/${subscriptionId}`).filter((u) => u.params.items);
    expect(changes.map((u) => u.headers["idempotency-key"])).toEqual([
      `tz-upgrade-${old.id}:professional`,
      `tz-upgrade-${old.id}:professional:retry-1`,
    ]);
    expect((await licensesOf(email)).map((l) => [l.plan, l.state])).toEqual([
      ["starter", "superseded"],
      ["professional", "active"],
    ]);
    expect((await paymentsOf(email)).filter((p) => p.kind === "proration")).toHaveLength(1);
  });

  it("a downgrade is a subscription schedule: the price changes at the renewal, which issues the lower tier's key", async () => {
    const email = uniqueEmail("downgrade");
    const { license, userId, subscriptionId } = await buy("enterprise", email);
    await scheduleDowngrade(userId, license.id, "starter", ctxOf(userId));
    const priceOf = (plan: string) =>
      [...stripe.prices.values()].find((p) => p.lookup_key === `ticketzero_${plan}_yearly`)!;
    const [create] = stripe
      .requestsTo("POST", "/v1/subscription_schedules")
      .filter((r) => r.params.from_subscription === subscriptionId);
    expect(create).toBeDefined();
    const atStripe = stripe.subscriptions.get(subscriptionId)!;
    const schedule = stripe.schedules.get(atStripe.schedule as string)!;
    const periodEnd = Math.floor(license.expiresAt.getTime() / 1000);
    // Stripe's own period end (the license's may be a second off: they were computed apart).
    const stripePeriodEnd = Number(
      (atStripe.items as { data: { current_period_end: number }[] }).data[0]!.current_period_end,
    );
    expect(stripe.requestsTo("POST", `/v1/subscription_schedules/${schedule.id}`).at(-1)!.params).toMatchObject({
      end_behavior: "release",
      phases: [
        { items: [{ price: priceOf("enterprise").id, quantity: "1" }] },
        {
          items: [{ price: priceOf("starter").id, quantity: "1" }],
          duration: { interval: "year", interval_count: "1" },
          proration_behavior: "none",
        },
      ],
    });
    expect(Math.abs(Number((schedule.phases as { end_date: number }[])[0]!.end_date) - periodEnd)).toBeLessThan(5);
    // No price change now, no proration: Stripe still bills Enterprise for this period.
    expect(stripe.requestsTo("POST", `/v1/subscriptions/${subscriptionId}`).filter((u) => u.params.items)).toEqual([]);
    expect((atStripe.items as { data: { price: { id: string } }[] }).data[0]!.price.id).toBe(priceOf("enterprise").id);
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "enterprise", scheduledPlan: "starter" });
    expect((await licenseById(license.id)).state).toBe("active");
    expect((await billingSummary(license)).nextCharge).toMatchObject({ plan: "starter", amountCents: 250_000 });
    expect(await auditOf(license.id, "billing.downgrade_scheduled")).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ to: "starter", schedule: schedule.id }) }),
    ]);

    // The renewal: the schedule's next phase bills Starter, and invoice.paid issues the Starter key.
    const { invoice } = await stripe.renew(subscriptionId);
    expect(invoice.amount_paid).toBe(250_000);
    const response = await deliver(stripeEvent("invoice.paid", invoice));
    expect(response.body).toMatchObject({ downgradedTo: "starter" });
    const [old, lower] = await licensesOf(email);
    expect(lower).toMatchObject({ plan: "starter", state: "active", stripeSubscriptionId: subscriptionId });
    expect(lower!.expiresAt.getTime()).toBe((stripePeriodEnd + 365 * 86400) * 1000);
    expect(old).toMatchObject({ state: "superseded", supersededBy: lower!.id });
    expect(old!.graceEndsAt!.getTime()).toBeGreaterThan(Date.now() + 13 * DAY_MS);
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "starter", scheduledPlan: null });
    // Stripe's customer.subscription.updated for the new period agrees (the plan is read from the price).
    await deliver(stripeEvent("customer.subscription.updated", stripe.subscriptions.get(subscriptionId)!));
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "starter" });
    expect((await paymentsOf(email)).find((p) => p.kind === "renewal")).toMatchObject({
      licenseId: lower!.id,
      amountCents: 250_000,
    });
  });

  it("Keep the current plan releases the schedule; only the license's admins may change the plan", async () => {
    const email = uniqueEmail("keep");
    const { license, userId, subscriptionId } = await buy("professional", email);
    const stranger = await accountOf(uniqueEmail("stranger"));
    await expect(
      scheduleDowngrade(stranger.userId, license.id, "starter", ctxOf(stranger.userId)),
    ).rejects.toMatchObject({ code: "LICENSE_NOT_FOUND" });
    await expect(scheduleDowngrade(userId, license.id, "enterprise", ctxOf(userId))).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect(
      stripe
        .requestsTo("POST", "/v1/subscription_schedules")
        .filter((r) => r.params.from_subscription === subscriptionId),
    ).toEqual([]);

    await scheduleDowngrade(userId, license.id, "starter", ctxOf(userId));
    const scheduleId = stripe.subscriptions.get(subscriptionId)!.schedule as string;
    await scheduleDowngrade(userId, license.id, "professional", ctxOf(userId));
    expect(stripe.requestsTo("POST", `/v1/subscription_schedules/${scheduleId}/release`)).toHaveLength(1);
    expect(stripe.subscriptions.get(subscriptionId)!.schedule).toBeNull();
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "professional", scheduledPlan: null });
    expect((await billingSummary(license)).nextCharge).toMatchObject({ plan: "professional", amountCents: 450_000 });
    expect((await auditOf(license.id)).map((a) => a.action)).toEqual(
      expect.arrayContaining(["billing.downgrade_scheduled", "billing.downgrade_cancelled"]),
    );

    // Scheduled again, then an upgrade: the schedule is released so the subscription can change now.
    await scheduleDowngrade(userId, license.id, "starter", ctxOf(userId));
    const again = stripe.subscriptions.get(subscriptionId)!.schedule as string;
    expect(again).not.toBe(scheduleId);
    await createCheckout({ plan: "enterprise", email, accountId: userId, upgradeFromLicenseId: license.id });
    expect(stripe.schedules.get(again)).toMatchObject({ status: "released" });
    expect(await subscriptionById(subscriptionId)).toMatchObject({ plan: "enterprise", scheduledPlan: null });
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

describe("races and refunds", () => {
  it("two upgrades to different plans at once change the subscription once; the price billed is the license issued", async () => {
    const email = uniqueEmail("race");
    const { license: old, userId, subscriptionId } = await buy("starter", email);
    const results = await Promise.allSettled(
      (["professional", "enterprise"] as const).map((plan) =>
        createCheckout({ plan, email, accountId: userId, upgradeFromLicenseId: old.id }),
      ),
    );
    // One went through; the other was refused before it reached Stripe.
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: "CONFLICT" });
    const priceChanges = stripe.requestsTo("POST", `/v1/subscriptions/${subscriptionId}`).filter((u) => u.params.items);
    expect(priceChanges).toHaveLength(1);
    const issued = (await licensesOf(email)).filter((l) => l.state === "active").map((l) => l.plan);
    expect(issued).toHaveLength(1);
    expect((await paymentsOf(email)).filter((p) => p.kind === "proration")).toHaveLength(1);
    const atStripe = stripe.subscriptions.get(subscriptionId) as unknown as {
      items: { data: { price: { lookup_key?: string } }[] };
    };
    expect(atStripe.items.data[0]!.price.lookup_key).toBe(`ticketzero_${issued[0]}_yearly`);
    expect((await subscriptionById(subscriptionId))?.plan).toBe(issued[0]);
  });

  it("a refunded prorated upgrade restores the old key, and the next renewal extends that license (price mismatch flagged)", async () => {
    const email = uniqueEmail("refprorate");
    const { license: old, userId, subscriptionId } = await buy("starter", email);
    await createCheckout({ plan: "professional", email, accountId: userId, upgradeFromLicenseId: old.id });
    const proration = (await paymentsOf(email)).find((p) => p.kind === "proration")!;

    const refunded = await deliver(
      stripeEvent("charge.refunded", {
        id: `ch_proration_${proration.checkoutSessionId}`,
        object: "charge",
        amount: proration.amountCents,
        amount_refunded: proration.amountCents,
        refunded: true,
        invoice: proration.checkoutSessionId,
      }),
    );
    expect(refunded.status).toBe(200);
    expect((await licenseById(old.id)).state).toBe("active"); // old key back
    // Stripe still bills Professional: the mirror says Starter, and staff are told.
    expect((await subscriptionById(subscriptionId))?.plan).toBe("starter");
    expect(await auditOf(old.id, "subscription.price_needs_review")).toHaveLength(1);

    // A year later Stripe charges the renewal: the license the customer uses runs on.
    const periodEnd = new Date(old.expiresAt.getTime() + 365 * DAY_MS);
    expect((await deliver(stripeEvent("invoice.paid", cycleInvoice(subscriptionId, periodEnd, 450_000)))).status).toBe(
      200,
    );
    expect((await licenseById(old.id)).expiresAt.getTime()).toBeGreaterThan(old.expiresAt.getTime());
  });
});
