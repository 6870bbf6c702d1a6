import { expect, test } from "@playwright/test";
import { expectAccessible, shot, signInThroughOutbox, uniqueEmail } from "./support";

test("/plans is accessible", async ({ page }) => {
  await page.goto("/plans");
  await expect(page.getByRole("link", { name: "Buy Professional" })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "plans");
});

test("buy Professional in test mode, sign in, and see it Valid in License & Billing", async ({ page }) => {
  const email = uniqueEmail("buyer");
  await page.goto("/plans");
  await page.getByRole("link", { name: "Buy Professional" }).click();
  await expect(page).toHaveURL(/\/checkout\?plan=professional/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/Company/).fill("E2E Managed Services");
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.getByRole("button", { name: "Pay $4,500 (test mode)" }).click();

  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 30_000 });
  const key = (await page.getByTestId("license-key").textContent())?.trim() ?? "";
  expect(key).toMatch(/^TZ-PRO-[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  await expectAccessible(page);
  await shot(page, "checkout-success");
  await expect(page.getByRole("link", { name: "Sign in to the Admin Panel" })).toBeVisible();

  await signInThroughOutbox(page, email, "/admin");
  await page
    .getByRole("navigation", { name: "Admin Panel sections" })
    .getByRole("link", { name: "License & Billing" })
    .click();
  await expect(page).toHaveURL(/\/admin\/license$/);

  const status = page.getByTestId("license-status");
  await expect(status).toHaveAttribute("data-status", "valid");
  await expect(status).toContainText("Valid");
  await expect(status).toContainText("Professional");
  await expect(status.locator(".bg-emerald-500").first()).toBeVisible(); // the green indicator dot
  const tickets = page.getByRole("progressbar", { name: "Tickets this month" });
  await expect(tickets).toHaveAttribute("aria-valuemax", "5000");
  await expect(page.getByText("5,000", { exact: false }).first()).toBeVisible();
  await expect(page.getByRole("link", { name: "Upgrade to Enterprise" }).first()).toBeVisible();
  await expect(page.getByRole("link", { name: "Renew Professional" }).first()).toBeVisible();

  await page.getByRole("button", { name: "Reveal key" }).click();
  await expect(page.getByTestId("revealed-license-key")).toHaveText(key);
  await page.getByRole("button", { name: "Hide" }).click();
  await expectAccessible(page);
  await shot(page, "license-billing-professional");

  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await shot(page, "admin-overview");
});
