import { expect, test } from "@playwright/test";
import { shot, signInThroughOutbox, uniqueEmail } from "./support";

test("the Admin Panel sends signed-out visitors to sign in, and back after", async ({ page }) => {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fadmin$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await page.goto("/admin/license");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fadmin%2Flicense$/);
  await shot(page, "signin");
});

test("signed-out requests for the Admin Panel and the back office get an HTTP 307, not a page", async ({ request }) => {
  for (const path of ["/admin", "/admin/license", "/staff/licenses"]) {
    const response = await request.get(path, { maxRedirects: 0 });
    expect(response.status(), path).toBe(307);
    expect(response.headers().location, path).toContain(`/signin?callbackUrl=${encodeURIComponent(path)}`);
  }
  // The JSON endpoints under /admin are not pages: they answer for themselves.
  const api = await request.post("/admin/activate-license", { data: { licenseKey: "nope" }, maxRedirects: 0 });
  expect(api.status()).toBe(400);
  expect((await api.json()).error.code).toBe("INVALID_FORMAT");
});

test("a sign-in link works once; sign-out ends the session", async ({ page, context }) => {
  const email = uniqueEmail("auth");
  await signInThroughOutbox(page, email, "/admin/license");
  await expect(page.getByRole("heading", { name: "License & Billing" })).toBeVisible();
  await expect(page.getByText(email).first()).toBeVisible();

  // The same link again, in a fresh browser session: refused.
  await page.goto(`/dev/outbox?to=${encodeURIComponent(email)}`);
  await shot(page, "dev-outbox");
  const link = await page
    .getByRole("article")
    .first()
    .getByRole("link", { name: /\/api\/auth\/callback\/email/ })
    .getAttribute("href");
  const other = await context.browser()!.newContext();
  const second = await other.newPage();
  await second.goto(link!);
  await expect(second).toHaveURL(/\/signin\?error=Verification/);
  await expect(second.getByText(/expired or has already been used/)).toBeVisible();
  await other.close();

  // Sign out from the header.
  await page.goto("/admin");
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fadmin$/);
});

test("the sign-in form refuses a malformed address", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill("not-an-email");
  // Bypass the browser's own type=email check to reach the server's.
  await page
    .locator("form")
    .filter({ has: page.getByLabel("Email") })
    .evaluate((form) => {
      form.setAttribute("novalidate", "");
    });
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Enter a valid email address" })).toBeVisible();
});
