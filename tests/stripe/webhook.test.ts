/**
 * Stripe-mode fulfilment end to end: the real SDK against a local stand-in of
 * Stripe's API, webhooks signed with the SDK's test header, delivered to the
 * real route handler.
 */

import { randomBytes } from "node:crypto";
import { fulfilCheckoutSession } from "@ticketzero/core/license/fulfilment";
import { statusByKey } from "@ticketzero/core/license/license-status";
import type { PaidPlanId } from "@ticketzero/core/license/plans";
import { resetConfig } from "@ticketzero/core/server/config";
import { type CreateCheckoutInput, createCheckout } from "@ticketzero/core/stripe/checkout";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver, stripeEvent, WEBHOOK_SECRET } from "./support/events";
import {
  accountOf,
  auditMentioning,
  auditOf,
  DAY_MS,
  isEventRecorded,
  licenseById,
  licensesOf,
  mailsTo,
  ownedLicense,
  paymentsOf,
  uniqueEmail,
} from "./support/helpers";
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

/** Starts a checkout through the SDK and has the stand-in mark it paid. */
async function paidSession(plan: PaidPlanId, email: string, extra: Partial<CreateCheckoutInput> = {}) {
  const { sessionId } = await createCheckout({ plan, email, company: "Acme MSP", ...extra });
  const pi = `pi_${sessionId.slice(-12)}`;
  const session = stripe.paySession(sessionId);
  stripe.invoiceByPaymentIntent.set(pi, session.invoice as string);
  return { sessionId, session, paymentIntent: pi };
}

async function buy(plan: PaidPlanId, email: string, extra: Partial<CreateCheckoutInput> = {}) {
  const paid = await paidSession(plan, email, extra);
  const response = await deliver(stripeEvent("checkout.session.completed", paid.session));
  expect(response.status).toBe(200);
  const [payment] = (await paymentsOf(email)).filter((p) => p.checkoutSessionId === paid.sessionId);
  return { ...paid, license: await licenseById(payment!.licenseId!) };
}

describe("checkout.session.completed", () => {
  it("issues exactly one license for one session delivered 3 times, concurrently with the success page", async () => {
    const email = uniqueEmail("race");
    const { sessionId, session } = await paidSession("professional", email);
    const event = stripeEvent("checkout.session.completed", session);

    const [a, b, c, page] = await Promise.all([
      deliver(event),
      deliver(event),
      deliver(event),
      fulfilCheckoutSession(sessionId, "success_page"),
    ]);
    for (const r of [a, b, c]) expect(r.status).toBe(200);

    const issued = await licensesOf(email);
    expect(issued).toHaveLength(1);
    const license = issued[0]!;
    expect(license.plan).toBe("professional");
    expect(license.maxTicketsPerMonth).toBe(5000);
    expect(license.teamId).toBeTruthy();
    expect(license.company).toBe("Acme MSP");
    expect(license.stripeSubscriptionId).toBe(session.subscription);

    const paid = await paymentsOf(email);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({
      checkoutSessionId: sessionId,
      licenseId: license.id,
      mode: "stripe",
      amountCents: 450_000,
      stripeSubscriptionId: session.subscription,
      stripeInvoiceId: session.invoice,
    });

    // Every caller saw the same license and key; the key was mailed once.
    expect(page.license.id).toBe(license.id);
    expect(page.key).toMatch(/^TZ-PRO-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect((await statusByKey(page.key, null)).license?.plan).toBe("professional");
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(page.key);

    expect(await isEventRecorded(event.id)).toBe(true);
    const again = await deliver(event);
    expect(again).toEqual({ status: 200, body: { received: true, duplicate: true } });

    // The success page again, and the async-payment event for the same session: still one license.
    const later = await fulfilCheckoutSession(sessionId, "success_page");
    expect(later).toMatchObject({ created: false, key: page.key });
    await deliver(stripeEvent("checkout.session.async_payment_succeeded", session));
    expect(await licensesOf(email)).toHaveLength(1);
    expect(await auditOf(license.id, "payment.fulfilled")).toHaveLength(1);
  });

  it("refuses a bad signature, a stale timestamp and a missing header, writing nothing", async () => {
    const email = uniqueEmail("badsig");
    const { session } = await paidSession("starter", email);
    const event = stripeEvent("checkout.session.completed", session);

    const wrongSecret = await deliver(event, { secret: "whsec_not_ours" });
    const stale = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    const missing = await deliver(event, { signature: null });
    const garbage = await deliver(event, { signature: "t=1,v1=deadbeef" });
    for (const r of [wrongSecret, stale, missing, garbage]) {
      expect(r.status).toBe(400);
      expect((r.body.error as { code: string }).code).toBe("INVALID_SIGNATURE");
    }

    // A body changed after signing fails too.
    const payload = JSON.stringify(event);
    const { POST } = await import("@/app/api/stripe/webhook/route");
    const { default: Stripe } = await import("stripe");
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const tampered = await POST(
      new Request("http://localhost/api/stripe/webhook", {
        method: "POST",
        headers: { "stripe-signature": header, "content-type": "application/json" },
        body: payload.replace('"starter"', '"enterprise"'),
      }),
    );
    expect(tampered.status).toBe(400);

    expect(await licensesOf(email)).toHaveLength(0);
    expect(await paymentsOf(email)).toHaveLength(0);
    expect(await isEventRecorded(event.id)).toBe(false);
    expect(await auditMentioning(session.id)).toHaveLength(0);

    // Properly signed, the same event goes through.
    expect((await deliver(event)).status).toBe(200);
    expect(await licensesOf(email)).toHaveLength(1);
  });

  it("does not fulfil an unpaid session (async payment pending) until it is paid", async () => {
    const email = uniqueEmail("async");
    const { sessionId } = await createCheckout({ plan: "starter", email });
    const session = stripe.sessions.get(sessionId)!;
    Object.assign(session, {
      status: "complete",
      payment_status: "unpaid",
      subscription: "sub_async",
      invoice: "in_async",
    });

    const pending = await deliver(stripeEvent("checkout.session.completed", session));
    expect(pending.status).toBe(200);
    expect(pending.body.awaitingPayment).toBe(true);
    await expect(fulfilCheckoutSession(sessionId, "success_page")).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await licensesOf(email)).toHaveLength(0);

    session.payment_status = "paid";
    const paid = await deliver(stripeEvent("checkout.session.async_payment_succeeded", session));
    expect(paid.status).toBe(200);
    expect(await licensesOf(email)).toHaveLength(1);
  });

  it("answers NOT_FOUND for a session Stripe does not know", async () => {
    await expect(fulfilCheckoutSession("cs_test_doesnotexist123", "success_page")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(fulfilCheckoutSession("not-a-session", "success_page")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("subscription lifecycle", () => {
  it("invoice.paid (subscription_cycle) extends expiry to the new period's end; replays change nothing", async () => {
    const email = uniqueEmail("renew");
    const { license, session } = await buy("professional", email);
    const periodEnd = Math.floor((license.expiresAt.getTime() + 365 * DAY_MS) / 1000);
    const invoice = {
      id: `in_cycle_${randomBytes(6).toString("hex")}`, // payments are keyed by invoice: fresh per run (PostgreSQL keeps rows)
      object: "invoice",
      billing_reason: "subscription_cycle",
      amount_paid: 450_000,
      currency: "usd",
      parent: {
        type: "subscription_details",
        subscription_details: { subscription: session.subscription, metadata: {} },
      },
      lines: {
        object: "list",
        data: [{ id: "il_1", object: "line_item", period: { start: periodEnd - 365 * 86400, end: periodEnd } }],
      },
    };
    const event = stripeEvent("invoice.paid", invoice);
    const response = await deliver(event);
    expect(response.status).toBe(200);
    const renewed = await licenseById(license.id);
    expect(renewed.expiresAt.getTime()).toBe(periodEnd * 1000);
    expect(renewed.state).toBe("active");
    expect(await auditOf(license.id, "license.extended")).toHaveLength(1);

    expect((await deliver(event)).body).toEqual({ received: true, duplicate: true });
    expect((await licenseById(license.id)).expiresAt.getTime()).toBe(periodEnd * 1000);

    // The first invoice of a subscription is the checkout's: not a renewal.
    const create = await deliver(
      stripeEvent("invoice.paid", { ...invoice, id: "in_create", billing_reason: "subscription_create" }),
    );
    expect(create.body.ignored).toBe(true);
    expect((await licenseById(license.id)).expiresAt.getTime()).toBe(periodEnd * 1000);
  });

  it("invoice.paid without a line period extends by 365 days from expiry", async () => {
    const email = uniqueEmail("renew365");
    const { license, session } = await buy("starter", email);
    const response = await deliver(
      stripeEvent("invoice.paid", {
        id: `in_cycle_${randomBytes(6).toString("hex")}`,
        object: "invoice",
        billing_reason: "subscription_cycle",
        amount_paid: 250_000,
        currency: "usd",
        parent: { type: "subscription_details", subscription_details: { subscription: session.subscription } },
        lines: { object: "list", data: [] },
      }),
    );
    expect(response.status).toBe(200);
    expect((await licenseById(license.id)).expiresAt.getTime()).toBe(license.expiresAt.getTime() + 365 * DAY_MS);
  });

  it("cancellation lets the license run to its end; deletion is only audited", async () => {
    const email = uniqueEmail("cancel");
    const { license, session } = await buy("starter", email);
    const subscription = { id: session.subscription, object: "subscription", status: "active", cancel_at: null };
    await deliver(stripeEvent("customer.subscription.updated", { ...subscription, cancel_at_period_end: true }));
    let row = await licenseById(license.id);
    expect(row.cancelAtPeriodEnd).toBe(true);
    expect(row.state).toBe("active");
    expect(row.expiresAt).toEqual(license.expiresAt);

    await deliver(stripeEvent("customer.subscription.updated", { ...subscription, cancel_at_period_end: false }));
    expect((await licenseById(license.id)).cancelAtPeriodEnd).toBe(false);

    const deleted = await deliver(
      stripeEvent("customer.subscription.deleted", {
        ...subscription,
        status: "canceled",
        cancel_at_period_end: false,
      }),
    );
    expect(deleted.status).toBe(200);
    row = await licenseById(license.id);
    expect(row.state).toBe("active");
    expect(row.expiresAt).toEqual(license.expiresAt);
    expect(await auditOf(license.id, "subscription.deleted")).toHaveLength(1);
    expect(await auditOf(license.id, "subscription.cancel_scheduled")).toHaveLength(1);
  });

  it("ignores unknown events", async () => {
    const response = await deliver(stripeEvent("customer.created", { id: "cus_1", object: "customer" }));
    expect(response).toEqual({ status: 200, body: { received: true, ignored: true } });
  });
});

describe("refunds and disputes", () => {
  it("charge.refunded revokes the license that charge paid for, with an audit reason", async () => {
    const email = uniqueEmail("refund");
    const { license, paymentIntent } = await buy("professional", email);
    const charge = { id: "ch_refund_1", object: "charge", amount: 450_000, payment_intent: paymentIntent };

    // A partial refund (goodwill) keeps the license.
    const partial = await deliver(
      stripeEvent("charge.refunded", { ...charge, refunded: false, amount_refunded: 10_000 }),
    );
    expect(partial.status).toBe(200);
    expect((await licenseById(license.id)).state).toBe("active");

    const full = await deliver(stripeEvent("charge.refunded", { ...charge, refunded: true, amount_refunded: 450_000 }));
    expect(full.status).toBe(200);
    expect(full.body.revoked).toBe(true);
    const row = await licenseById(license.id);
    expect(row.state).toBe("revoked");
    const [audit] = await auditOf(license.id, "license.revoked");
    expect(audit).toMatchObject({ actor: "stripe" });
    expect(audit!.detail).toMatchObject({ reason: "payment refunded", charge: "ch_refund_1", via: "invoice" });
  });

  it("charge.dispute.created revokes the license of a renewal charge (invoice → subscription)", async () => {
    const email = uniqueEmail("dispute");
    const { license, session } = await buy("starter", email);
    stripe.invoices.set("in_renewal_disputed", {
      id: "in_renewal_disputed",
      object: "invoice",
      billing_reason: "subscription_cycle",
      parent: { type: "subscription_details", subscription_details: { subscription: session.subscription } },
    });
    stripe.invoiceByPaymentIntent.set("pi_renewal_disputed", "in_renewal_disputed");
    const response = await deliver(
      stripeEvent("charge.dispute.created", {
        id: "dp_1",
        object: "dispute",
        charge: "ch_renewal",
        payment_intent: "pi_renewal_disputed",
        reason: "fraudulent",
        status: "needs_response",
      }),
    );
    expect(response.status).toBe(200);
    expect((await licenseById(license.id)).state).toBe("revoked");
    const [audit] = await auditOf(license.id, "license.revoked");
    expect(audit!.detail).toMatchObject({ reason: "payment disputed", dispute: "dp_1", via: "subscription" });
  });
});

describe("upgrades and renewals", () => {
  it("an upgrade of a license without a subscription checks out the new tier and supersedes the old one with grace", async () => {
    const email = uniqueEmail("upgrade");
    // Issued by staff: no subscription to change, so the upgrade is a checkout of the new tier.
    const { license: old, userId: accountId } = await ownedLicense("starter", email);
    const { license: upgraded } = await buy("enterprise", email, { accountId, upgradeFromLicenseId: old.id });

    expect(upgraded.id).not.toBe(old.id);
    expect(upgraded.plan).toBe("enterprise");
    expect(upgraded.maxActivations).toBe(25);
    expect(upgraded.teamId).toBe(old.teamId);
    expect((await paymentsOf(email)).map((p) => p.kind)).toEqual(["upgrade"]);

    const superseded = await licenseById(old.id);
    expect(superseded.state).toBe("superseded");
    expect(superseded.supersededBy).toBe(upgraded.id);
    const graceMs = superseded.graceEndsAt!.getTime() - Date.now();
    expect(graceMs).toBeGreaterThan(13.9 * DAY_MS);
    expect(graceMs).toBeLessThanOrEqual(14 * DAY_MS);

    // The old key keeps working through the grace period, with a warning.
    const { decryptKey } = await import("@ticketzero/core/license/vault");
    const status = await statusByKey(decryptKey(superseded.keyCiphertext), null);
    expect(status.valid).toBe(true);
    expect(status.warnings.map((w) => w.code)).toContain("UPGRADE_GRACE_PERIOD");

    // Refunding the upgrade revokes the new key and gives the old one back.
    await deliver(
      stripeEvent("charge.refunded", {
        id: "ch_upgrade",
        object: "charge",
        amount: 750_000,
        amount_refunded: 750_000,
        refunded: true,
        payment_intent: `pi_${(await paymentsOf(email)).find((p) => p.licenseId === upgraded.id)!.checkoutSessionId.slice(-12)}`,
      }),
    );
    expect((await licenseById(upgraded.id)).state).toBe("revoked");
    const restored = await licenseById(old.id);
    expect(restored.state).toBe("active");
    expect(restored.graceEndsAt).toBeNull();
  });

  it("an explicit renewal purchase extends the license by a year instead of issuing one", async () => {
    const email = uniqueEmail("renewbuy");
    const { license } = await buy("professional", email);
    const { userId: accountId } = await accountOf(email);
    const { sessionId, session } = await paidSession("professional", email, { accountId, renewLicenseId: license.id });
    const result = await fulfilCheckoutSession(sessionId, "success_page");
    expect(result).toMatchObject({ created: true, kind: "renewal" });
    expect(result.license.id).toBe(license.id);
    expect(result.license.expiresAt.getTime()).toBe(license.expiresAt.getTime() + 365 * DAY_MS);
    expect(result.license.stripeSubscriptionId).toBe(session.subscription);
    expect(await licensesOf(email)).toHaveLength(1);

    // The webhook for the same session afterwards: nothing more.
    await deliver(stripeEvent("checkout.session.completed", session));
    expect((await licenseById(license.id)).expiresAt.getTime()).toBe(license.expiresAt.getTime() + 365 * DAY_MS);
  });
});
