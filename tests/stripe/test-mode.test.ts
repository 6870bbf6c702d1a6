/**
 * Without Stripe keys (the embedded default) checkout runs in test mode through
 * the same fulfilment code; production refuses it.
 */

import { getDb } from "@ticketzero/core/db/client";
import { checkoutSessions } from "@ticketzero/core/db/schema";
import { completeTestCheckout, fulfilCheckoutSession } from "@ticketzero/core/license/fulfilment";
import { teamForEmail } from "@ticketzero/core/license/teams";
import { resetConfig } from "@ticketzero/core/server/config";
import { buyerTokenHash, claimKeyReveal, KEY_REVEAL_WINDOW_MS, newBuyerToken } from "@ticketzero/core/stripe/buyer";
import { createCheckout } from "@ticketzero/core/stripe/checkout";
import { isTestMode } from "@ticketzero/core/stripe/client";
import { scheduleDowngrade, simulateTestRenewal } from "@ticketzero/core/stripe/subscriptions";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { deliver, stripeEvent } from "./support/events";
import { DAY_MS, licenseById, licensesOf, mailsTo, ownedLicense, paymentsOf, uniqueEmail } from "./support/helpers";

delete process.env.STRIPE_SECRET_KEY;
delete process.env.STRIPE_API_BASE;
delete process.env.STRIPE_WEBHOOK_SECRET;
process.env.APP_ENV = "development";
resetConfig();

afterEach(() => {
  process.env.APP_ENV = "development";
  resetConfig();
});

describe("test-mode checkout", () => {
  it("creates a local session, completes it into one license; a second completion returns the same license", async () => {
    expect(isTestMode()).toBe(true);
    const email = uniqueEmail("testmode");
    const { url, sessionId, mode } = await createCheckout({ plan: "professional", email, company: "Test MSP" });
    expect(mode).toBe("test");
    expect(sessionId).toMatch(/^cs_test_local_[0-9a-f]{32}$/);
    expect(url).toBe(`/checkout/test/${sessionId}`);

    // Not paid yet: nothing to fulfil.
    await expect(fulfilCheckoutSession(sessionId, "success_page")).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await licensesOf(email)).toHaveLength(0);

    const first = await completeTestCheckout(sessionId);
    expect(first).toMatchObject({ created: true, kind: "new", plan: "professional", email });
    expect(first.key).toMatch(/^TZ-PRO-/);
    expect(first.license).toMatchObject({ plan: "professional", maxClients: 15, company: "Test MSP" });
    expect(first.license.teamId).toBeTruthy();

    const second = await completeTestCheckout(sessionId);
    expect(second).toMatchObject({ created: false, key: first.key });
    expect(second.license.id).toBe(first.license.id);
    const page = await fulfilCheckoutSession(sessionId, "success_page");
    expect(page.license.id).toBe(first.license.id);

    expect(await licensesOf(email)).toHaveLength(1);
    const payments = await paymentsOf(email);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ mode: "test", amountCents: 450_000, licenseId: first.license.id });
    expect(await mailsTo(email)).toHaveLength(1);
    const [row] = await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.id, sessionId));
    expect(row).toMatchObject({ status: "paid", mode: "test" });
    expect(row!.paidAt).toBeInstanceOf(Date);
  });

  it("concurrent completions issue one license", async () => {
    const email = uniqueEmail("testrace");
    const { sessionId } = await createCheckout({ plan: "starter", email });
    const results = await Promise.all([
      completeTestCheckout(sessionId),
      completeTestCheckout(sessionId),
      completeTestCheckout(sessionId),
      completeTestCheckout(sessionId),
    ]);
    expect(new Set(results.map((r) => r.license.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await licensesOf(email)).toHaveLength(1);
    expect(await paymentsOf(email)).toHaveLength(1);
  });

  it("upgrades and renews through the same fulfilment", async () => {
    const email = uniqueEmail("testupgrade");
    // A license without a subscription (issued by staff) upgrades through a checkout.
    const { license: starter, userId: accountId } = await ownedLicense("starter", email);
    const upgrade = await createCheckout({ plan: "enterprise", email, accountId, upgradeFromLicenseId: starter.id });
    const upgraded = await completeTestCheckout(upgrade.sessionId);
    expect(upgraded).toMatchObject({ kind: "upgrade", plan: "enterprise", previousLicenseId: starter.id });
    const old = await licenseById(starter.id);
    expect(old.state).toBe("superseded");
    expect(old.supersededBy).toBe(upgraded.license.id);
    expect(old.graceEndsAt!.getTime()).toBeGreaterThan(Date.now() + 13 * DAY_MS);
    expect(await licensesOf(email)).toHaveLength(2);

    const renewal = await createCheckout({
      plan: "enterprise",
      email,
      accountId,
      renewLicenseId: upgraded.license.id,
    });
    const renewed = await completeTestCheckout(renewal.sessionId);
    expect(renewed).toMatchObject({ kind: "renewal", created: true });
    expect(renewed.license.id).toBe(upgraded.license.id);
    expect(renewed.license.expiresAt.getTime()).toBe(upgraded.license.expiresAt.getTime() + 365 * DAY_MS);
    expect((await paymentsOf(email)).map((p) => p.kind).sort()).toEqual(["renewal", "upgrade"]);

    // The superseded license cannot be upgraded or renewed again.
    await expect(
      createCheckout({ plan: "starter", email, accountId, renewLicenseId: starter.id }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("binds the test payment and the one-time key reveal to the browser that started the checkout", async () => {
    const email = uniqueEmail("buyer");
    const token = newBuyerToken();
    const { sessionId } = await createCheckout({ plan: "starter", email, buyerToken: token });
    const [row] = await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.id, sessionId));
    expect(row!.buyerTokenHash).toBe(buyerTokenHash(token));
    expect(row!.buyerTokenHash).not.toContain(token);

    // Another browser (no cookie, or its own) cannot pay this test checkout.
    await expect(completeTestCheckout(sessionId)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(completeTestCheckout(sessionId, { buyerToken: newBuyerToken() })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await licensesOf(email)).toHaveLength(0);

    const paid = await completeTestCheckout(sessionId, { buyerToken: token });
    // The stranger's visit and the buyer's: only the buyer's reveals, and only once.
    expect(await claimKeyReveal(sessionId, newBuyerToken(), paid.paidAt)).toBe("not_buyer");
    expect(await claimKeyReveal(sessionId, null, paid.paidAt)).toBe("not_buyer");
    const both = await Promise.all([
      claimKeyReveal(sessionId, token, paid.paidAt),
      claimKeyReveal(sessionId, token, paid.paidAt),
    ]);
    expect(both.sort()).toEqual(["already_revealed", "reveal"]);
    expect(await claimKeyReveal(sessionId, token, paid.paidAt)).toBe("already_revealed");

    // Past the window the buyer is asked to sign in too.
    const late = await createCheckout({ plan: "starter", email: uniqueEmail("late"), buyerToken: token });
    const paidLate = await completeTestCheckout(late.sessionId, { buyerToken: token });
    const later = new Date(paidLate.paidAt.getTime() + KEY_REVEAL_WINDOW_MS + 1000);
    expect(await claimKeyReveal(late.sessionId, token, paidLate.paidAt, later)).toBe("too_late");
  });

  it("refuses unknown sessions and Stripe-style ids it cannot verify", async () => {
    await expect(completeTestCheckout("cs_test_local_00000000000000000000000000000000")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(completeTestCheckout("cs_test_a1b2c3d4e5f6")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(fulfilCheckoutSession("cs_test_a1b2c3d4e5f6", "success_page")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(completeTestCheckout("../../etc/passwd")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("is refused in production", async () => {
    const email = uniqueEmail("prod");
    const { sessionId } = await createCheckout({ plan: "starter", email });
    // Production with everything it requires present — except that this checkout is the test-mode one.
    const required = {
      PUBLIC_URL: "https://portal.example.test",
      AUTH_SECRET: "x".repeat(32),
      LICENSE_HMAC_SECRET: "set",
      LICENSE_ENCRYPTION_KEYS: "set",
      LICENSE_SIGNING_KEYS: "set",
      STRIPE_SECRET_KEY: "sk_test_x",
      STRIPE_WEBHOOK_SECRET: "whsec_x",
      SMTP_URL: "smtp://127.0.0.1:1",
    };
    Object.assign(process.env, required, { APP_ENV: "production" });
    resetConfig();
    onTestFinished(() => {
      for (const name of Object.keys(required)) delete process.env[name];
      process.env.APP_ENV = "development";
      resetConfig();
    });
    await expect(completeTestCheckout(sessionId)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await licensesOf(email)).toHaveLength(0);
  });

  it("the webhook refuses everything without a signing secret", async () => {
    const response = await deliver(
      stripeEvent("checkout.session.completed", { id: "cs_test_x", object: "checkout.session" }),
    );
    expect(response.status).toBe(400);
    expect((response.body.error as { code: string }).code).toBe("INVALID_SIGNATURE");
  });
});

describe("test-mode renewal with a downgrade scheduled, twice at once (a double click)", () => {
  it("records one payment and issues one lower-tier license", async () => {
    const email = uniqueEmail("dbl");
    const { userId, teamId } = await getDb().transaction((tx) => teamForEmail(tx, email));
    const { sessionId } = await createCheckout({ plan: "enterprise", email, accountId: userId, teamId });
    const { license } = await completeTestCheckout(sessionId);
    const ctx = { actor: `user:${userId}`, accountId: userId };
    await scheduleDowngrade(userId, license.id, "starter", ctx);
    const results = await Promise.allSettled([
      simulateTestRenewal(userId, license.id, ctx),
      simulateTestRenewal(userId, license.id, ctx),
    ]);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    expect((await licensesOf(email)).filter((l) => l.plan === "starter")).toHaveLength(1);
    expect((await paymentsOf(email)).filter((p) => p.kind === "renewal")).toHaveLength(1);
  });
});
