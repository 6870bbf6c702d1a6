import { expect, test } from "@playwright/test";
import { expectAccessible, shot, signInThroughOutbox, startPublicTrial, uniqueEmail, unknownProKey } from "./support";

test("adding a key in License & Billing uses no installation slot; installations activate themselves; deactivating confirms and says what happened", async ({
  page,
  context,
  request,
}) => {
  // A real key, obtained the way a customer would: a trial on /trial, read from the page (and mailed).
  const owner = uniqueEmail("owner");
  const key = await startPublicTrial(page, owner);

  // Someone else's account: nothing yet, and the trial key is not theirs to take.
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

  // The owner adds it from the activation field (lower case, stray spaces): on the account, no slot used.
  await context.clearCookies();
  await signInThroughOutbox(page, owner, "/admin/license");
  activate = page.locator("#activate");
  keyField = activate.getByLabel("License key");
  await keyField.fill(`  ${key.toLowerCase()} `);
  await submit();
  await expect(activate.getByRole("status").filter({ hasText: "License activated" })).toContainText(
    "used none of its installation slots",
  );
  await expect(page.getByTestId("license-status")).toHaveAttribute("data-status", "trial");
  const installations = page.getByRole("region", { name: "Installations", exact: true });
  await expect(installations).toContainText("No installations yet");
  await expect(installations).toContainText("0 of 1 activations used");

  // The owner can reveal the full key.
  await page.getByRole("button", { name: "Reveal key" }).click();
  await expect(page.getByTestId("revealed-license-key")).toHaveText(key);

  // The installation activates itself with the key (the HTTP API, no browser session).
  const activateInstallation = (instanceId: string, instanceName: string) =>
    request.post("/admin/activate-license", { data: { licenseKey: key, instanceId, instanceName } });
  expect((await activateInstallation("helpdesk-1", "Helpdesk server")).status()).toBe(201);
  await page.reload();
  await expect(installations).toContainText("Helpdesk server");
  await expect(installations).toContainText("1 of 1 activations used");
  await shot(page, "license-billing-activated");

  // A second installation is past this trial's single activation.
  const refused = await activateInstallation("second-1", "Second server");
  expect(refused.status()).toBe(409);
  expect((await refused.json()).error.code).toBe("ACTIVATION_LIMIT_REACHED");

  // Deactivating asks first and says what happens to the slot: the trial's one swap frees it at once.
  await installations.locator("summary", { hasText: "Deactivate…" }).first().click();
  await expect(installations).toContainText("Its slot frees at once (uses 1 of 1 swap left");
  await installations.getByRole("button", { name: "Deactivate installation" }).first().click();
  await expect(page.getByRole("status").filter({ hasText: "Installation deactivated" })).toContainText(
    "Helpdesk server is deactivated and its slot is free",
  );
  await expect(installations).toContainText("No installations yet");

  // With no swap left, the next deactivated installation keeps its slot until its certificate expires.
  expect((await activateInstallation("second-1", "Second server")).status()).toBe(201);
  await page.goto("/admin/license");
  await expect(installations).toContainText("Second server");
  await expect(installations).toContainText("0 of 1 swaps left");
  await installations.locator("summary", { hasText: "Deactivate…" }).first().click();
  await expect(installations).toContainText("No swaps are left this 30 days");
  await installations.getByRole("button", { name: "Deactivate installation" }).first().click();
  await expect(page.getByRole("status").filter({ hasText: "Installation deactivated" })).toContainText(
    "Its slot stays taken until",
  );
  await expect(installations).toContainText("Deactivated · slot frees");
  await expect(installations).toContainText("1 of 1 activations used");
  await expectAccessible(page);
  await shot(page, "license-billing-held-slot");
});
