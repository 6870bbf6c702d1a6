/**
 * Starting a purchase: a Stripe Checkout Session (yearly subscription) when
 * Stripe is configured, otherwise a local test-mode session that the
 * `/checkout/test/<id>` page completes. Either way a `checkout_sessions` row
 * records what was bought, by whom, and for which license (upgrade/renewal);
 * fulfilment (lib/license/fulfilment.ts) reads it.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "../db/client";
import { checkoutSessions, licenses, users } from "../db/schema";
import { LicenseError } from "../license/errors";
import { normaliseEmail } from "../license/licenses";
import { isPaidPlanId, type PaidPlanId, PLAN_ORDER, PLANS, type PlanId } from "../license/plans";
import { membershipsOf, personalTeamOf, roleAtLeast, roleInTeam } from "../license/teams";
import { config } from "../server/config";
import { buyerTokenHash, isBuyerToken } from "./buyer";
import { assertTestModeAllowed, isTestMode, priceLookupKey, stripeClient } from "./client";
import { upgradeSubscription, upgradesBySubscription } from "./subscriptions";

export type CreateCheckoutInput = {
  plan: string;
  email: string;
  company?: string | null;
  /** The signed-in user buying. */
  accountId?: string | null;
  /** The team the new license joins (the buyer must be an admin there); null: the team of the email's owner. */
  teamId?: string | null;
  /** Upgrade: the license the new tier replaces (it keeps working through the grace period). */
  upgradeFromLicenseId?: string | null;
  /** Renewal: the license a paid session extends by a year instead of issuing a new one. */
  renewLicenseId?: string | null;
  /** The paying browser's token (its cookie): the success page reveals the key only to it. */
  buyerToken?: string | null;
};

export type CreateCheckoutResult = { url: string; sessionId: string; mode: "stripe" | "test" };

export const TEST_SESSION_PREFIX = "cs_test_local_";
export const isTestSessionId = (id: string) => id.startsWith(TEST_SESSION_PREFIX);
/** Stripe's `cs_test_…`/`cs_live_…` ids and ours: letters, digits and underscores. */
export const SESSION_ID = /^cs_[A-Za-z0-9_]{8,255}$/;

const EMAIL = z.email({ error: "Enter a valid email address, like you@company.com." }).max(254);
const COMPANY = z.string().trim().max(200, { error: "Company name is at most 200 characters." });
const UUID = z.uuid();

export type CheckoutFieldErrors = Partial<Record<"plan" | "email" | "company" | "license", string>>;

function invalid(fields: CheckoutFieldErrors): never {
  const message = Object.values(fields).join(" ");
  throw new LicenseError("VALIDATION_FAILED", message, { details: { fields } });
}

/** What the license being upgraded or renewed must satisfy; throws with a clear reason otherwise. */
async function checkTargetLicense(
  input: { plan: PaidPlanId; email: string; accountId: string | null },
  licenseId: string,
  purpose: "upgrade" | "renew",
) {
  if (!UUID.safeParse(licenseId).success) invalid({ license: "That license reference is not valid." });
  const [row] = await getDb().select().from(licenses).where(eq(licenses.id, licenseId));
  if (!row) throw new LicenseError("LICENSE_NOT_FOUND", "The license to upgrade or renew was not found.");
  // Only the signed-in owner or an admin of the license's team may upgrade or renew it.
  const owned =
    input.accountId && row.teamId ? roleAtLeast(await roleInTeam(input.accountId, row.teamId), "admin") : false;
  if (!owned) {
    throw new LicenseError(
      "LICENSE_OWNED_BY_ANOTHER_ACCOUNT",
      "Sign in with an account that runs this license (its owner or an admin of its team) to upgrade or renew it.",
    );
  }
  if (row.state === "revoked")
    throw new LicenseError("LICENSE_REVOKED", "This license has been revoked; buy a new one.");
  if (row.state === "suspended")
    throw new LicenseError("LICENSE_SUSPENDED", "This license is suspended. Contact support.");
  if (row.state === "superseded") {
    throw new LicenseError(
      "CONFLICT",
      "This license was already replaced by an upgrade; manage the new license instead.",
    );
  }
  if (purpose === "upgrade" && PLAN_ORDER.indexOf(input.plan) <= PLAN_ORDER.indexOf(row.plan as PlanId)) {
    invalid({ plan: `Choose a plan above ${PLANS[row.plan as PlanId]?.name ?? row.plan} to upgrade.` });
  }
  if (purpose === "renew" && row.plan !== input.plan) {
    invalid({ plan: `A renewal keeps the ${PLANS[row.plan as PlanId]?.name ?? row.plan} plan; upgrade to change it.` });
  }
  return row;
}

/** Validates the order and starts a checkout. Returns where to send the buyer. */
export async function createCheckout(input: CreateCheckoutInput): Promise<CreateCheckoutResult> {
  const errors: CheckoutFieldErrors = {};
  if (!isPaidPlanId(input.plan)) errors.plan = "Choose Starter, Professional or Enterprise.";
  const email = EMAIL.safeParse(normaliseEmail(input.email ?? ""));
  if (!email.success) errors.email = email.error.issues[0]?.message ?? "Enter a valid email address.";
  const company = COMPANY.safeParse(input.company ?? "");
  if (!company.success) errors.company = company.error.issues[0]?.message ?? "Company name is too long.";
  if (input.upgradeFromLicenseId && input.renewLicenseId) {
    errors.license = "A checkout either upgrades or renews a license, not both.";
  }
  if (Object.keys(errors).length || !email.success || !company.success || !isPaidPlanId(input.plan)) invalid(errors);

  const plan = input.plan;
  const order = {
    plan,
    email: email.data,
    company: company.data || null,
    accountId: input.accountId || null,
    teamId: input.teamId || null,
    upgradeFromLicenseId: input.upgradeFromLicenseId || null,
    renewLicenseId: input.renewLicenseId || null,
  };
  if (order.accountId) {
    const [account] = await getDb().select({ id: users.id }).from(users).where(eq(users.id, order.accountId));
    if (!account) order.accountId = null;
  }
  if (order.teamId && !(order.accountId && roleAtLeast(await roleInTeam(order.accountId, order.teamId), "admin"))) {
    order.teamId = null;
  }
  if (order.accountId && !order.teamId && !order.upgradeFromLicenseId && !order.renewLicenseId) {
    // A signed-in buyer buys onto a team they run (their first), else their own, whatever email is billed.
    const runs = (await membershipsOf(order.accountId)).find((m) => roleAtLeast(m.role, "admin"));
    order.teamId = runs?.teamId ?? (await getDb().transaction((tx) => personalTeamOf(tx, order.accountId!)));
  }
  if (order.upgradeFromLicenseId) {
    const target = await checkTargetLicense(order, order.upgradeFromLicenseId, "upgrade");
    // A license on a live subscription upgrades by changing it (prorated), not by a second full-price checkout.
    if (order.accountId && (await upgradesBySubscription(target))) {
      const done = await upgradeSubscription(order.accountId, target.id, plan, {
        actor: `user:${order.accountId}`,
        accountId: order.accountId,
      });
      return {
        url: `/admin/license/billing/upgraded?license=${encodeURIComponent(done.license.id)}`,
        sessionId: done.invoiceId,
        mode: isTestMode() ? "test" : "stripe",
      };
    }
  }
  if (order.renewLicenseId) await checkTargetLicense(order, order.renewLicenseId, "renew");
  const buyerTokenHashValue = isBuyerToken(input.buyerToken) ? buyerTokenHash(input.buyerToken) : null;

  if (isTestMode()) {
    assertTestModeAllowed();
    const id = `${TEST_SESSION_PREFIX}${randomBytes(16).toString("hex")}`;
    await getDb()
      .insert(checkoutSessions)
      .values({ id, mode: "test", status: "open", ...order, buyerTokenHash: buyerTokenHashValue });
    return { url: `/checkout/test/${id}`, sessionId: id, mode: "test" };
  }

  const stripe = stripeClient();
  const lookupKey = priceLookupKey(plan);
  const prices = await stripe.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 });
  const price = prices.data[0];
  if (!price) {
    throw new Error(
      `No active Stripe price with lookup key ${lookupKey}: run \`npm run stripe:setup\` for this account`,
    );
  }
  const metadata: Record<string, string> = { plan };
  if (order.upgradeFromLicenseId) metadata.upgradeFrom = order.upgradeFromLicenseId;
  if (order.renewLicenseId) metadata.renewOf = order.renewLicenseId;
  if (order.accountId) metadata.accountId = order.accountId;
  if (order.teamId) metadata.teamId = order.teamId;
  if (order.company) metadata.company = order.company;
  const publicUrl = config().publicUrl;
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    line_items: [{ price: price.id, quantity: 1 }],
    customer_email: order.email,
    client_reference_id: order.accountId ?? undefined,
    metadata,
    subscription_data: { metadata },
    success_url: `${publicUrl}/checkout/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${publicUrl}/plans`,
  });
  if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a url`);
  await getDb()
    .insert(checkoutSessions)
    .values({ id: session.id, mode: "stripe", status: "open", ...order, buyerTokenHash: buyerTokenHashValue })
    .onConflictDoNothing({ target: checkoutSessions.id });
  return { url: session.url, sessionId: session.id, mode: "stripe" };
}
