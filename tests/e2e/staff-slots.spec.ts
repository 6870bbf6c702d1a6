import { expect, test } from "@playwright/test";
import { expectAccessible, STAFF_EMAIL, shot, signInThroughOutbox, startPublicTrial, uniqueEmail } from "./support";

test("staff see a held slot and release it with a reason, audited; the swap allowance is a custom limit", async ({
  page,
  request,
}) => {
  // A trial (one slot, one swap) whose installations go through the API as installations do.
  const key = await startPublicTrial(page, uniqueEmail("slots"));
  const auth = { Authorization: `Bearer ${key}` };
  for (const instanceId of ["rack-a", "rack-b"]) {
    const activated = await request.post("/admin/activate-license", {
      data: { licenseKey: key, instanceId, instanceName: instanceId.toUpperCase() },
    });
    expect(activated.status()).toBe(201);
    const off = await request.post("/api/deactivate", { headers: auth, data: { instanceId } });
    expect(off.status()).toBe(200);
    // The first deactivation spends the swap; the second holds the slot until the certificate expires.
    expect((await off.json()).swapUsed).toBe(instanceId === "rack-a");
  }

  await signInThroughOutbox(page, STAFF_EMAIL, "/staff/licenses");
  await page.goto(`/staff/licenses?q=${encodeURIComponent(key)}`);
  const row = page.getByRole("row").filter({ hasText: "TZ-TRIAL-" });
  await expect(row).toContainText("1 / 1"); // the held slot is taken; the swapped-out one is not
  await row.getByRole("link").first().click();
  const installations = page.getByRole("region", { name: "Installations", exact: true });
  await expect(installations).toContainText("RACK-B");
  await expect(installations).toContainText("Deactivated · slot frees");
  await expect(installations).toContainText("1 of 1 activations used");
  await expect(installations).toContainText("0 of 1 swaps left");
  await expectAccessible(page);
  await shot(page, "staff-held-slot");

  await installations.locator("summary", { hasText: "Release slot…" }).first().click();
  await expect(installations).toContainText("Staff override");
  await installations.getByLabel("Reason").first().fill("Server replaced under RMA 4711");
  await installations.getByRole("button", { name: "Release slot" }).first().click();
  await expect(installations).toContainText("No installations yet");
  await expect(installations).toContainText("0 of 1 activations used");

  // The release is in the audit log with its reason, and a new installation can activate.
  await page.goto("/staff/audit");
  await expect(page.getByText("activation.slot_released").filter({ visible: true }).first()).toBeVisible();
  await expect(page.getByText("RMA 4711").filter({ visible: true }).first()).toBeVisible();
  const rackC = await request.post("/admin/activate-license", { data: { licenseKey: key, instanceId: "rack-c" } });
  expect(rackC.status()).toBe(201);

  // Custom limits: more swaps for this license.
  await page.goBack();
  await page.getByLabel("Swaps per 30 days").fill("3");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await expect(installations).toContainText("2 of 3 swaps left"); // rack-a spent one of them
});
