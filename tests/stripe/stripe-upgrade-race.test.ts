/**
 * Two upgrades of one license to different plans at once (two tabs, two
 * buttons): the subscription changes once, one proration is charged, and the
 * price Stripe bills is the plan of the license issued.
 */
import { resetConfig } from "@ticketzero/core/server/config";
import { createCheckout } from "@ticketzero/core/stripe/checkout";
import { subscriptionById } from "@ticketzero/core/stripe/subscriptions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver, stripeEvent, WEBHOOK_SECRET } from "./support/events";
import { accountOf, licensesOf, paymentsOf, uniqueEmail } from "./support/helpers";
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

describe("concurrent upgrades to different plans", () => {
  it("change the subscription once; the price billed matches the license issued", async () => {
    const email = uniqueEmail("race");
    const { userId, teamId } = await accountOf(email);
    const { sessionId } = await createCheckout({ plan: "starter", email, accountId: userId, teamId });
    const session = stripe.paySession(sessionId);
    expect((await deliver(stripeEvent("checkout.session.completed", session))).status).toBe(200);
    const [old] = await licensesOf(email);
    const subscriptionId = session.subscription as string;

    const results = await Promise.allSettled(
      (["professional", "enterprise"] as const).map((plan) =>
        createCheckout({ plan, email, accountId: userId, upgradeFromLicenseId: old!.id }),
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
});
