/**
 * The Stripe stand-in (tests/stripe/support/stripe-standin.ts) as its own
 * process for Playwright: the API the Stripe-mode app's real SDK talks to
 * (STRIPE_API_BASE), Checkout's hosted page, signed webhook deliveries to the
 * app, and /control/* for the spec (renew a cycle, recorded requests).
 * Env: STANDIN_PORT, WEBHOOK_URL, STRIPE_WEBHOOK_SECRET. Stops on SIGTERM/SIGINT.
 */
import { PAID_PLAN_IDS, PLANS } from "@ticketzero/core/license/plans";
import { priceLookupKey } from "@ticketzero/core/stripe/client";
import { startStripeStandin } from "../stripe/support/stripe-standin";

const port = Number(process.env.STANDIN_PORT);
const url = process.env.WEBHOOK_URL;
const secret = process.env.STRIPE_WEBHOOK_SECRET;
if (!port || !url || !secret) throw new Error("STANDIN_PORT, WEBHOOK_URL and STRIPE_WEBHOOK_SECRET are required");

const standin = await startStripeStandin({ port, hostedPages: true, webhook: { url, secret } });
// The prices `npm run stripe:setup` creates: one yearly price per paid plan, found by lookup key.
for (const plan of PAID_PLAN_IDS) {
  const price = standin.seedPrice(priceLookupKey(plan), PLANS[plan].priceCents);
  price.metadata = { plan };
}
console.log(`[stripe stand-in] ${standin.url}, webhooks to ${url}`);

const stop = () => {
  setTimeout(() => process.exit(0), 2000).unref(); // an open keep-alive connection does not hold the run
  void standin.stop().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
