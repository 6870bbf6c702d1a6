import { expect, test } from "@playwright/test";
import { expectAccessible, shot, signInThroughOutbox, startPublicTrial, uniqueEmail, unknownProKey } from "./support";

test("activating a key from the License & Billing tab; malformed and unknown keys are explained", async ({
  page,
  context,
}) => {
  // A real key, obtained the way a customer would: a trial for another address on /trial.
  const key = await startPublicTrial(page, uniqueEmail("keysource"));
  await context.clearCookies();

  const email = uniqueEmail("activate");
  await signInThroughOutbox(page, email, "/admin/license");

  // Empty state: no license yet; activation, trial and plans are offered.
  await expect(page.getByTestId("license-status")).toContainText("No active license");
  await expect(page.getByRole("button", { name: "Activate License" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Start 30-Day Trial" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Purchase Professional" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "license-billing-empty");

  const activate = page.locator("#activate");
  const keyField = activate.getByLabel("License key");

  // Malformed.
  await keyField.fill("TZ-NOPE-1234");
  await activate.getByRole("button", { name: "Activate License" }).click();
  await expect(activate.getByRole("alert")).toContainText("That is not a valid license key format");
  await expect(activate.getByRole("alert")).toContainText("INVALID_FORMAT");

  // Well-formed but unknown.
  await keyField.fill(unknownProKey());
  await activate.getByRole("button", { name: "Activate License" }).click();
  await expect(activate.getByRole("alert")).toContainText("We couldn’t find a license with that key");
  await expect(activate.getByRole("alert")).toContainText("LICENSE_NOT_FOUND");

  // The real key, lower-cased with spaces: accepted, attached, and listed as an installation.
  await keyField.fill(`  ${key.toLowerCase()} `);
  await activate.getByLabel("Installation name").fill("Helpdesk server");
  await activate.getByRole("button", { name: "Activate License" }).click();
  await expect(activate.getByRole("status").filter({ hasText: "License activated" })).toBeVisible();
  const status = page.getByTestId("license-status");
  await expect(status).toHaveAttribute("data-status", "trial");
  const installations = page.getByRole("region", { name: "Installations" });
  await expect(installations).toContainText("Helpdesk server");
  await expect(installations).toContainText("1 of 1 activations used");

  // The owner can reveal the full key.
  await page.getByRole("button", { name: "Reveal key" }).click();
  await expect(page.getByTestId("revealed-license-key")).toHaveText(key);
  await shot(page, "license-billing-activated");

  // A second installation is past this trial's single activation.
  await keyField.fill(key);
  await activate.getByLabel("Installation name").fill("Second server");
  await activate.getByRole("button", { name: "Activate License" }).click();
  await expect(activate.getByRole("alert")).toContainText("ACTIVATION_LIMIT_REACHED");

  // Deactivate frees the slot.
  await installations.getByRole("button", { name: "Deactivate" }).first().click();
  await expect(installations).toContainText("No installations yet");
});
