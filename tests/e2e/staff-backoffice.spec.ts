import { expect, test } from "@playwright/test";
import { expectAccessible, signInThroughOutbox, uniqueEmail } from "./support";

test("a signed-in customer gets HTTP 403 and the Staff only page on every back-office path", async ({ page }) => {
  const customer = uniqueEmail("not-staff");
  await signInThroughOutbox(page, customer, "/admin");
  for (const path of ["/staff", "/staff/licenses", "/staff/customers", "/staff/audit"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("heading", { name: "Staff only" })).toBeVisible();
    await expect(page.getByText(customer)).toBeVisible();
  }
  await expectAccessible(page);
  // The header offers no back-office link to a customer.
  await expect(page.getByRole("link", { name: "Back office" })).toHaveCount(0);
  const exported = await page.request.get("/staff/export/licenses");
  expect(exported.status()).toBe(403);
  expect((await exported.json()).error.code).toBe("FORBIDDEN");
});
