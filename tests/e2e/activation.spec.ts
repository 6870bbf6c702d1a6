import { expect, test } from "@playwright/test";
import { expectAccessible, shot, signInThroughOutbox, startPublicTrial, uniqueEmail, unknownProKey } from "./support";

test("activating a key from the License & Billing tab; malformed, unknown and foreign keys are explained", async ({
  page,
  context,
}) => {
  // A real key, obtained the way a customer would: a trial on /trial, read from the page (and mailed).
  const owner = uniqueEmail("owner");
  const key = await startPublicTrial(page, owner);

  // Someone else's account: nothing yet, and the key is not theirs to take.
  await signInThroughOutbox(page, uniqueEmail("other"), "/admin/license");
  await expect(page.getByTestId("license-status")).toContainText("No active license");
  await expect(page.getByRole("button", { name: "Activate License" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Start 30-Day Trial" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Purchase Professional" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "license-billing-empty");

  let activate = page.locator("#activate");
  let keyField = activate.getByLabel("License key");
  const submit = () => activate.getByRole("button", { name: "Activate License" }).click();
  const failure = () => activate.getByRole("alert").filter({ hasText: "Activation failed" });

  await keyField.fill("TZ-NOPE-1234");
  await submit();
  await expect(failure()).toContainText("That is not a valid license key format");
  await expect(failure()).toContainText("INVALID_FORMAT");

  await keyField.fill(unknownProKey());
  await submit();
  await expect(failure()).toContainText("We couldn’t find a license with that key");
  await expect(failure()).toContainText("LICENSE_NOT_FOUND");

  await keyField.fill(key);
  await submit();
  await expect(failure()).toContainText("This license belongs to another account");
  await expect(page.getByTestId("license-status")).toContainText("No active license");

  // The owner activates it from the activation field (lower case, stray spaces): listed as an installation.
  await context.clearCookies();
  await signInThroughOutbox(page, owner, "/admin/license");
  activate = page.locator("#activate");
  keyField = activate.getByLabel("License key");
  const installations = page.getByRole("region", { name: "Installations" });
  await expect(installations).toContainText("No installations yet");
  await keyField.fill(`  ${key.toLowerCase()} `);
  await activate.getByLabel("Installation name").fill("Helpdesk server");
  await submit();
  await expect(activate.getByRole("status").filter({ hasText: "License activated" })).toBeVisible();
  await expect(page.getByTestId("license-status")).toHaveAttribute("data-status", "trial");
  await expect(installations).toContainText("Helpdesk server");
  await expect(installations).toContainText("1 of 1 activations used");

  // The owner can reveal the full key.
  await page.getByRole("button", { name: "Reveal key" }).click();
  await expect(page.getByTestId("revealed-license-key")).toHaveText(key);
  await shot(page, "license-billing-activated");

  // A second installation is past this trial's single activation.
  await keyField.fill(key);
  await activate.getByLabel("Installation name").fill("Second server");
  await submit();
  await expect(failure()).toContainText("ACTIVATION_LIMIT_REACHED");

  // Deactivating asks first and says what happens to the slot: the trial's one swap frees it at once.
  await installations.locator("summary", { hasText: "Deactivate…" }).first().click();
  await expect(installations).toContainText("Its slot frees at once (uses 1 of 1 swap left");
  await installations.getByRole("button", { name: "Deactivate installation" }).first().click();
  await expect(installations).toContainText("No installations yet");

  // With no swap left, the next deactivated installation keeps its slot until its certificate expires.
  await keyField.fill(key);
  await activate.getByLabel("Installation name").fill("Second server");
  await submit();
  await expect(installations).toContainText("Second server");
  await expect(installations).toContainText("0 of 1 swaps left");
  await installations.locator("summary", { hasText: "Deactivate…" }).first().click();
  await expect(installations).toContainText("No swaps are left this 30 days");
  await installations.getByRole("button", { name: "Deactivate installation" }).first().click();
  await expect(installations).toContainText("Deactivated · slot frees");
  await expect(installations).toContainText("1 of 1 activations used");
  await expectAccessible(page);
  await shot(page, "license-billing-held-slot");
});
