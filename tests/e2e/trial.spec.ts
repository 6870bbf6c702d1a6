import { expect, test } from "@playwright/test";
import { expectAccessible, shot, signInThroughOutbox, startPublicTrial, uniqueEmail } from "./support";

test("a new email gets a blue Trial license with 100 tickets; a second trial is refused clearly", async ({ page }) => {
  const email = uniqueEmail("trial");
  await page.goto("/trial");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("30 days");
  await expectAccessible(page);

  const key = await startPublicTrial(page, email);
  expect(key).toMatch(/^TZ-TRIAL-/);
  const success = page.getByRole("status").filter({ hasText: "Your 30-day trial is ready" });
  await expect(success).toContainText("Trial");
  await expect(success).toContainText("100 tickets a month");
  await expect(success.locator(".bg-sky-500").first()).toBeVisible(); // the blue indicator dot
  await expect(success).toContainText(email);
  await expectAccessible(page);
  await shot(page, "trial-started");

  // Again, same address (different case and spaces): a clear refusal.
  await page.reload();
  await page.getByLabel("Email").fill(`  ${email.toUpperCase()} `);
  await page.getByRole("button", { name: "Start 30-Day Trial" }).click();
  const error = page.getByRole("alert").filter({ hasText: "Couldn’t start the trial" });
  await expect(error).toContainText("A trial has already been started for this email address.");
  await expect(error).toContainText("TRIAL_ALREADY_USED");
  await shot(page, "trial-refused");

  // The key was mailed; after signing in with that address the trial waits to be added, then shows.
  await page.goto(`/dev/outbox?to=${encodeURIComponent(email)}`);
  await expect(page.getByRole("article").first()).toContainText(key);
  await signInThroughOutbox(page, email, "/admin/license");
  await page
    .getByRole("region", { name: "Waiting for you" })
    .getByRole("button", { name: /Add to my account/ })
    .click();
  const status = page.getByTestId("license-status");
  await expect(status).toHaveAttribute("data-status", "trial");
  await expect(status).toContainText("Trial");
  await expect(page.getByRole("progressbar", { name: "Tickets this month" })).toHaveAttribute("aria-valuemax", "100");
  await expect(page.getByRole("heading", { name: "Free 30-day trial" })).toBeVisible();
  await expect(page.getByText("You have already used the free trial")).toBeVisible();
  await shot(page, "license-billing-trial");
});
