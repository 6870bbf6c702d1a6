/**
 * Creates or updates the Stripe catalog: one product per paid plan and its
 * yearly USD price, found by lookup key `ticketzero_<plan>_yearly`. Safe to
 * run again: an unchanged price is kept; a changed amount creates a new price
 * and moves the lookup key to it (`transfer_lookup_key`), deactivating the old
 * one, so existing subscriptions keep what they bought.
 */
import type Stripe from "stripe";
import { FEATURES, PAID_PLAN_IDS, type PaidPlanId, PLANS } from "../license/plans";
import { priceLookupKey } from "./client";

export type SetupOutcome = {
  plan: PaidPlanId;
  productId: string;
  priceId: string;
  lookupKey: string;
  action: "created" | "unchanged" | "replaced";
};

export const productIdOf = (plan: PaidPlanId) => `ticketzero_${plan}`;

function productFields(plan: PaidPlanId) {
  const p = PLANS[plan];
  const limits = `${p.limits.maxClients} MSP clients, ${p.limits.maxTicketsPerMonth.toLocaleString("en-US")} tickets/month, ${p.limits.maxActivations} activations`;
  return {
    name: `TicketZero AI ${p.name}`,
    description: `Yearly ${p.name} license: ${limits}. ${p.features.map((f) => FEATURES[f]).join(", ")}.`.slice(
      0,
      1000,
    ),
    metadata: { plan, app: "ticketzero-license-portal" },
  };
}

async function ensureProduct(stripe: Stripe, plan: PaidPlanId): Promise<string> {
  const id = productIdOf(plan);
  const fields = productFields(plan);
  try {
    const existing = await stripe.products.retrieve(id);
    if (
      existing.name !== fields.name ||
      existing.description !== fields.description ||
      existing.metadata?.plan !== plan ||
      !existing.active
    ) {
      await stripe.products.update(id, { ...fields, active: true });
    }
    return existing.id;
  } catch (error) {
    const e = error as { statusCode?: number; code?: string };
    if (e.statusCode !== 404 && e.code !== "resource_missing") throw error;
    const created = await stripe.products.create({ id, ...fields });
    return created.id;
  }
}

export async function setupStripeCatalog(
  stripe: Stripe,
  log: (line: string) => void = console.info,
): Promise<SetupOutcome[]> {
  const outcomes: SetupOutcome[] = [];
  for (const plan of PAID_PLAN_IDS) {
    const lookupKey = priceLookupKey(plan);
    const amount = PLANS[plan].priceCents;
    const productId = await ensureProduct(stripe, plan);
    const { data } = await stripe.prices.list({ lookup_keys: [lookupKey], limit: 1 });
    const current = data[0];
    const matches =
      current?.active &&
      current.unit_amount === amount &&
      current.currency === "usd" &&
      current.recurring?.interval === "year" &&
      current.recurring.interval_count === 1 &&
      (typeof current.product === "string" ? current.product : current.product.id) === productId;
    if (current && matches) {
      outcomes.push({ plan, productId, priceId: current.id, lookupKey, action: "unchanged" });
      log(`✓ ${plan}: ${lookupKey} → ${current.id} (${amount / 100} USD/year, unchanged)`);
      continue;
    }
    const price = await stripe.prices.create({
      product: productId,
      currency: "usd",
      unit_amount: amount,
      recurring: { interval: "year", interval_count: 1 },
      lookup_key: lookupKey,
      transfer_lookup_key: Boolean(current),
      nickname: `${PLANS[plan].name} yearly`,
      metadata: { plan },
    });
    if (current?.active) await stripe.prices.update(current.id, { active: false });
    await stripe.products.update(productId, { default_price: price.id });
    outcomes.push({ plan, productId, priceId: price.id, lookupKey, action: current ? "replaced" : "created" });
    log(
      `${current ? "↻" : "+"} ${plan}: ${lookupKey} → ${price.id} (${amount / 100} USD/year${current ? `, replaces ${current.id}` : ""})`,
    );
  }
  return outcomes;
}
