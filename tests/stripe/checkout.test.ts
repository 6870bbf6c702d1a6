/**
 * Starting a Stripe checkout and setting up the catalog: what the real SDK
 * sends to (a local stand-in of) Stripe's API.
 */

import { getDb } from "@ticketzero/core/db/client";
import { checkoutSessions, teamMembers } from "@ticketzero/core/db/schema";
import { PAID_PLAN_IDS, PLANS } from "@ticketzero/core/license/plans";
import { resetConfig } from "@ticketzero/core/server/config";
import { type CreateCheckoutInput, createCheckout } from "@ticketzero/core/stripe/checkout";
import { apiBaseOptions, isTestMode, priceLookupKey } from "@ticketzero/core/stripe/client";
import { setupStripeCatalog } from "@ticketzero/core/stripe/setup";
import { eq } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountOf, ownedLicense, uniqueEmail } from "./support/helpers";
import { type StripeStandin, startSeededStripeStandin, startStripeStandin } from "./support/stripe-standin";

process.env.STRIPE_SECRET_KEY = "sk_test_x";
process.env.PUBLIC_URL = "https://portal.example.test";
resetConfig();

let stripe: StripeStandin;

beforeAll(async () => {
  stripe = await startSeededStripeStandin();
});

afterAll(async () => {
  await stripe?.stop();
});

describe("createCheckout (Stripe mode)", () => {
  it("creates a yearly subscription Checkout Session with the plan's price, email, URLs and metadata", async () => {
    expect(isTestMode()).toBe(false);
    const email = uniqueEmail("sdk");
    const { license: current, userId } = await ownedLicense("starter", email);
    const { url, sessionId, mode } = await createCheckout({
      plan: "professional",
      email: `  ${email.toUpperCase()} `,
      company: "Acme MSP",
      accountId: userId,
      upgradeFromLicenseId: current.id,
    });
    expect(mode).toBe("stripe");
    expect(sessionId).toMatch(/^cs_test_/);
    expect(url).toBe(`https://checkout.stripe.test/c/pay/${sessionId}`);

    const lookups = stripe.requestsTo("GET", "/v1/prices");
    expect(lookups.at(-1)!.params.lookup_keys).toEqual(["ticketzero_professional_yearly"]);
    const professionalPrice = [...stripe.prices.values()].find(
      (p) => p.lookup_key === "ticketzero_professional_yearly",
    )!;

    const [create] = stripe.requestsTo("POST", "/v1/checkout/sessions").slice(-1);
    expect(create!.headers.authorization).toBe("Bearer sk_test_x");
    expect(create!.params).toMatchObject({
      mode: "subscription",
      line_items: [{ price: professionalPrice.id, quantity: "1" }],
      customer_email: email,
      success_url: "https://portal.example.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
      cancel_url: "https://portal.example.test/plans",
      client_reference_id: userId,
      metadata: { plan: "professional", upgradeFrom: current.id, accountId: userId, company: "Acme MSP" },
      subscription_data: { metadata: { plan: "professional", upgradeFrom: current.id, accountId: userId } },
    });
    expect((create!.params.metadata as Record<string, string>).renewOf).toBeUndefined();

    const [row] = await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.id, sessionId));
    expect(row).toMatchObject({
      plan: "professional",
      email,
      company: "Acme MSP",
      mode: "stripe",
      status: "open",
      upgradeFromLicenseId: current.id,
      renewLicenseId: null,
      accountId: userId,
      paidAt: null,
    });
  });

  it("records a renewal's license in metadata (renewOf)", async () => {
    const email = uniqueEmail("renewmeta");
    const { license, userId } = await ownedLicense("enterprise", email);
    await createCheckout({ plan: "enterprise", email, accountId: userId, renewLicenseId: license.id });
    const [create] = stripe.requestsTo("POST", "/v1/checkout/sessions").slice(-1);
    expect(create!.params.metadata).toEqual({ plan: "enterprise", renewOf: license.id, accountId: userId });
  });

  it("refuses bad input with field errors, before calling Stripe", async () => {
    const before = stripe.requests.length;
    await expect(createCheckout({ plan: "trial", email: "a@b.co" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      extra: { details: { fields: { plan: expect.any(String) } } },
    });
    await expect(createCheckout({ plan: "professional", email: "not-an-email" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      extra: { details: { fields: { email: expect.any(String) } } },
    });
    await expect(
      createCheckout({ plan: "professional", email: "a@b.co", company: "x".repeat(201) }),
    ).rejects.toMatchObject({ extra: { details: { fields: { company: expect.any(String) } } } });

    const owner = uniqueEmail("owner");
    const { license, userId: accountId } = await ownedLicense("professional", owner);
    // Not a step up.
    await expect(
      createCheckout({ plan: "starter", email: owner, accountId, upgradeFromLicenseId: license.id }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    // A renewal keeps the plan.
    await expect(
      createCheckout({ plan: "enterprise", email: owner, accountId, renewLicenseId: license.id }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(
      createCheckout({
        plan: "enterprise",
        email: owner,
        accountId,
        upgradeFromLicenseId: license.id,
        renewLicenseId: license.id,
      }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(
      createCheckout({
        plan: "enterprise",
        email: owner,
        accountId,
        upgradeFromLicenseId: "00000000-0000-4000-8000-000000000000",
      }),
    ).rejects.toMatchObject({ code: "LICENSE_NOT_FOUND" });
    expect(stripe.requests.length).toBe(before);
  });

  it("refuses an upgrade or renewal by anyone but the license's owner or a team admin, even knowing its id and email", async () => {
    const owner = uniqueEmail("victim");
    const { license, teamId } = await ownedLicense("professional", owner);
    const stranger = await accountOf(uniqueEmail("stranger"));
    const viewer = await accountOf(uniqueEmail("viewer"));
    await getDb().insert(teamMembers).values({ teamId, userId: viewer.userId, role: "viewer", acceptedAt: new Date() });
    const before = stripe.requests.length;
    const attempts: CreateCheckoutInput[] = [
      // Signed out, with the owner's email.
      { plan: "enterprise", email: owner, upgradeFromLicenseId: license.id },
      { plan: "professional", email: owner, renewLicenseId: license.id },
      // Signed in to another account, with the owner's email and the license id.
      { plan: "enterprise", email: owner, accountId: stranger.userId, upgradeFromLicenseId: license.id },
      { plan: "professional", email: owner, accountId: stranger.userId, renewLicenseId: license.id },
      // A read-only member of the license's team.
      { plan: "enterprise", email: owner, accountId: viewer.userId, upgradeFromLicenseId: license.id },
      // Naming the victim's team does not help.
      { plan: "enterprise", email: owner, accountId: stranger.userId, teamId, upgradeFromLicenseId: license.id },
    ];
    for (const attempt of attempts) {
      await expect(createCheckout(attempt)).rejects.toMatchObject({ code: "LICENSE_OWNED_BY_ANOTHER_ACCOUNT" });
    }
    expect(stripe.requests.length).toBe(before);
    const started = await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.email, owner));
    expect(started).toHaveLength(0);

    // A team admin may.
    const admin = await accountOf(uniqueEmail("admin"));
    await getDb().insert(teamMembers).values({ teamId, userId: admin.userId, role: "admin", acceptedAt: new Date() });
    const { sessionId } = await createCheckout({
      plan: "enterprise",
      email: owner,
      accountId: admin.userId,
      upgradeFromLicenseId: license.id,
    });
    expect(sessionId).toMatch(/^cs_test_/);
  });
});

describe("stripe:setup", () => {
  it("creates products and yearly prices by lookup key, is idempotent, and moves the key when a price changes", async () => {
    const account = await startStripeStandin();
    try {
      const client = new Stripe("sk_test_setup", { ...apiBaseOptions(account.url), maxNetworkRetries: 0 });
      const quiet = () => {};

      const first = await setupStripeCatalog(client, quiet);
      expect(first.map((o) => [o.plan, o.action])).toEqual([
        ["starter", "created"],
        ["professional", "created"],
        ["enterprise", "created"],
      ]);
      for (const plan of PAID_PLAN_IDS) {
        const price = [...account.prices.values()].find((p) => p.lookup_key === priceLookupKey(plan))!;
        expect(price).toMatchObject({
          unit_amount: PLANS[plan].priceCents,
          currency: "usd",
          recurring: { interval: "year", interval_count: 1 },
          product: `ticketzero_${plan}`,
          active: true,
        });
        expect(account.products.get(`ticketzero_${plan}`)).toMatchObject({ name: `TicketZero AI ${PLANS[plan].name}` });
      }

      const pricesBefore = account.requestsTo("POST", "/v1/prices").length;
      const second = await setupStripeCatalog(client, quiet);
      expect(second.every((o) => o.action === "unchanged")).toBe(true);
      expect(account.requestsTo("POST", "/v1/prices").length).toBe(pricesBefore);
      expect(account.requestsTo("POST", "/v1/products").length).toBe(3);

      // The account's Professional price differs from the catalog (e.g. the catalog changed): replace it.
      const old = [...account.prices.values()].find((p) => p.lookup_key === "ticketzero_professional_yearly")!;
      old.unit_amount = 399_900;
      const third = await setupStripeCatalog(client, quiet);
      expect(third.find((o) => o.plan === "professional")!.action).toBe("replaced");
      const [create] = account.requestsTo("POST", "/v1/prices").slice(-1);
      expect(create!.params).toMatchObject({
        lookup_key: "ticketzero_professional_yearly",
        transfer_lookup_key: "true",
        unit_amount: "450000",
      });
      const current = [...account.prices.values()].filter((p) => p.lookup_key === "ticketzero_professional_yearly");
      expect(current).toHaveLength(1);
      expect(current[0]!.unit_amount).toBe(450_000);
      expect(old.active).toBe(false);
    } finally {
      await account.stop();
    }
  });
});
