import { expect, test } from "@playwright/test";
import { expectAccessible, shot, signInThroughOutbox, uniqueEmail } from "./support";

/** Buys a plan in test mode from /plans; returns the success page URL and the key the paying browser saw. */
async function buy(page: import("@playwright/test").Page, plan: "Starter" | "Professional", email: string) {
  await page.goto("/plans");
  await page.getByRole("link", { name: `Buy ${plan}` }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.getByRole("button", { name: /^Pay .* \(test mode\)$/ }).click();
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 30_000 });
  const key = ((await page.getByTestId("license-key").textContent()) ?? "").trim();
  return { url: page.url(), key };
}

test("the success page shows the key once, to the paying browser only", async ({ page, browser }) => {
  const email = uniqueEmail("reveal");
  const { url, key } = await buy(page, "Starter", email);
  expect(key).toMatch(/^TZ-STA-/);
  await expect(page.getByText("TZ_LICENSE_KEY")).toBeVisible();
  await expect(page.getByText("npm run installation")).toHaveCount(0);

  // Another browser with the same URL: no key, a masked address and a way to sign in.
  const other = await browser.newContext();
  const stranger = await other.newPage();
  await stranger.goto(url);
  await expect(stranger.getByRole("heading", { name: "Payment received" })).toBeVisible();
  await expect(stranger.getByTestId("license-key")).toHaveCount(0);
  await expect(stranger.getByTestId("key-withheld")).toContainText(`${email[0]}***@e2e.ticketzero.test`);
  expect(await stranger.content()).not.toContain(key);
  await expect(stranger.getByRole("link", { name: "Sign in to the Admin Panel" })).toBeVisible();
  await expectAccessible(stranger);
  await shot(stranger, "checkout-success-other-browser");
  await other.close();

  // The paying browser reloading: shown once already.
  await page.reload();
  await expect(page.getByTestId("license-key")).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
});

test("prorated upgrade Starter → Professional keeps the old key in grace; a renewal appears in the payment history", async ({
  page,
}) => {
  const email = uniqueEmail("billing");
  const { key: starterKey } = await buy(page, "Starter", email);
  await signInThroughOutbox(page, email, "/admin/license");

  const billing = page.getByTestId("billing-card");
  await expect(billing.getByTestId("auto-renew")).toHaveText("On");
  await expect(billing.getByTestId("next-charge")).toContainText("$2,500");
  await expect(billing.getByTestId("payment-history")).toContainText("Purchase · Starter");

  await page.getByRole("link", { name: "Upgrade to Professional" }).first().click();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page.getByRole("heading", { name: "Upgraded to Professional" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("upgraded-license-key")).toHaveText(/^TZ-PRO-/);
  await expect(page.getByTestId("grace-note")).toContainText(starterKey.slice(0, 6));
  await shot(page, "billing-upgraded");

  await page.getByRole("link", { name: "Back to License & Billing" }).click();
  const history = page.getByTestId("payment-history");
  await expect(history).toContainText("Upgrade (prorated) · Professional");
  await expect(history).toContainText("Purchase · Starter");
  await expect(page.getByTestId("license-status")).toContainText("Professional");

  // Renewal (test mode's portal charges it now), then it is in the history with its own receipt.
  await page.getByRole("button", { name: "Manage billing" }).click();
  await expect(page.getByRole("heading", { name: "Manage billing" })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("button", { name: "Simulate the renewal charge now" }).click();
  await expect(page.getByText("Test renewal charged and recorded.")).toBeVisible();
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Cancel at period end" }).click();
  await expect(page.getByText(/Auto-renew is off/)).toBeVisible();

  await page.goto("/admin/license");
  await expect(history).toContainText("Renewal · Professional");
  await expect(history).toContainText("$4,500.00");
  await expect(page.getByTestId("auto-renew")).toContainText("Off");
  await expect(page.getByTestId("next-charge")).toHaveText("None scheduled");
  await expectAccessible(page);
  await shot(page, "billing-history");

  await history
    .getByRole("link", { name: /Receipt/ })
    .first()
    .click();
  await expect(page.getByRole("heading", { name: "Receipt" })).toBeVisible();
  await expect(page.getByText("Renewal")).toBeVisible();
});
