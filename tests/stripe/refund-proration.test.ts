/**
 * A refunded prorated upgrade revokes the new key and restores the old one;
 * the next renewal then extends the restored license (not the revoked one),
 * and the price mismatch at Stripe is flagged for staff.
 */
import { resetConfig } from "@ticketzero/core/server/config";
import { createCheckout } from "@ticketzero/core/stripe/checkout";
import { subscriptionById } from "@ticketzero/core/stripe/subscriptions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver, stripeEvent, WEBHOOK_SECRET } from "./support/events";
import { accountOf, DAY_MS, licenseById, licensesOf, paymentsOf, uniqueEmail } from "./support/helpers";
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

describe("refund of a prorated upgrade", () => {
  it("the license in use is the one the next renewal extends", async () => {
    const email = uniqueEmail("refprorate");
    const { userId, teamId } = await accountOf(email);
    const { sessionId } = await createCheckout({ plan: "starter", email, accountId: userId, teamId });
    const session = stripe.paySession(sessionId);
    await deliver(stripeEvent("checkout.session.completed", session));
    const [old] = await licensesOf(email);
    const subscriptionId = session.subscription as string;
    await createCheckout({ plan: "professional", email, accountId: userId, upgradeFromLicenseId: old!.id });
    const proration = (await paymentsOf(email)).find((p) => p.kind === "proration")!;

    const refunded = await deliver(
      stripeEvent("charge.refunded", {
        id: "ch_proration",
        object: "charge",
        amount: proration.amountCents,
        amount_refunded: proration.amountCents,
        refunded: true,
        invoice: proration.checkoutSessionId,
      }),
    );
    expect(refunded.status).toBe(200);
    expect((await licenseById(old!.id)).state).toBe("active"); // old key back
    // The subscription still bills Professional at Stripe: the mirror says Starter, and staff are told.
    expect((await subscriptionById(subscriptionId))?.plan).toBe("starter");

    // The subscription still bills Professional; a year later Stripe charges the renewal.
    const sub = stripe.subscriptions.get(subscriptionId)!;
    const end = Math.floor((old!.expiresAt.getTime() + 365 * DAY_MS) / 1000);
    const invoice = stripe.makeInvoice(sub, "subscription_cycle", 450_000);
    invoice.lines = { object: "list", data: [{ id: "il_y", period: { start: end - 365 * 86400, end } }] };
    expect((await deliver(stripeEvent("invoice.paid", invoice))).status).toBe(200);
    const oldAfter = await licenseById(old!.id);
    // The customer keeps paying: the license they use must run on.
    expect(oldAfter.expiresAt.getTime()).toBeGreaterThan(old!.expiresAt.getTime());
  });
});
