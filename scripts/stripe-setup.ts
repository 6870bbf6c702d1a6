/**
 * `npm run stripe:setup`: creates or updates TicketZero's products and yearly
 * prices in the Stripe account of STRIPE_SECRET_KEY (lookup keys
 * `ticketzero_<plan>_yearly`, which checkout uses). Idempotent; run it again
 * after changing a price in lib/license/plans.ts.
 */
import "./support/require-supported-node";
import { stripeClient } from "@ticketzero/core/stripe/client";
import { setupStripeCatalog } from "@ticketzero/core/stripe/setup";

async function main() {
  if (!process.env.STRIPE_SECRET_KEY) {
    console.error("STRIPE_SECRET_KEY is not set: nothing to set up (the portal runs a test-mode checkout without it).");
    process.exit(1);
  }
  const live =
    process.env.STRIPE_SECRET_KEY.startsWith("sk_live_") || process.env.STRIPE_SECRET_KEY.startsWith("rk_live_");
  console.info(`Setting up TicketZero plans in Stripe (${live ? "LIVE" : "test"} mode)…`);
  const outcomes = await setupStripeCatalog(stripeClient());
  console.info(`Done: ${outcomes.length} plans (${outcomes.filter((o) => o.action !== "unchanged").length} changed).`);
}

main().catch((error: unknown) => {
  console.error("stripe:setup failed:", error instanceof Error ? error.message : error);
  process.exit(1);
});
