import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import {
  expectAccessible,
  issueAsStaff,
  pageWidth,
  STAFF_EMAIL,
  shot,
  signInThroughOutbox,
  startPublicTrial,
  uniqueEmail,
} from "./support";

test("staff find a license by its key's last group, see its customer with members and licenses, and export CSV", async ({
  page,
}) => {
  const owner = uniqueEmail("bo-owner");
  const company = `Northwind MSP ${Date.now().toString(36)}`;
  const trialEmail = uniqueEmail("bo-unclaimed");
  await startPublicTrial(page, trialEmail);

  await signInThroughOutbox(page, STAFF_EMAIL, "/staff");
  // Staff have the back office in the site header.
  await expect(page.getByRole("banner").getByRole("link", { name: "Back office" })).toHaveAttribute("href", "/staff");

  const key = await issueAsStaff(page, { email: owner, company: company });
  const suffix = key.slice(-4);

  // Search by the last group of the key (what the masked key shows), combined with the plan filter.
  await page.goto("/staff/licenses");
  await page.getByLabel("Search").fill(suffix);
  await page.getByLabel("Plan").selectOption("enterprise");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`q=${suffix}`));
  const row = page.getByRole("row").filter({ hasText: owner });
  await expect(row).toContainText(`TZ-ENT-****-****-****-${suffix}`);
  await expect(row).toContainText("Enterprise");

  // The export carries the same filters: a CSV attachment with that license, its key masked.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export these (CSV)" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^licenses-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
  const lines = csv.trimEnd().split("\r\n");
  expect(lines[0]).toContain("Key (masked)");
  const mine = lines.filter((line) => line.includes(owner));
  expect(mine).toHaveLength(1);
  expect(mine[0]).toContain(`TZ-ENT-****-****-****-${suffix}`);
  expect(csv).not.toContain(key);

  // The public trial waits on no account: the Unclaimed filter lists it.
  await page.goto(`/staff/licenses?unclaimed=1&q=${encodeURIComponent(trialEmail)}`);
  await expect(page.getByRole("row").filter({ hasText: trialEmail })).toContainText("TZ-TRIAL-");
  await page.goto(`/staff/licenses?unclaimed=1&q=${encodeURIComponent(owner)}`);
  await expect(page.getByText("No license matches")).toBeVisible();

  // The customer (the team the license joined) with its owner, members and licenses.
  await page.goto("/staff/customers");
  await page.getByLabel("Search").fill(owner);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const customer = page.getByRole("row").filter({ hasText: owner });
  await expect(customer).toContainText(company);
  await expect(customer).toContainText("1 license");
  await customer.getByRole("link", { name: company }).click();
  await expect(page.getByRole("heading", { level: 1, name: company })).toBeVisible();
  const members = page.getByRole("region", { name: "Members" });
  await expect(members).toContainText(owner);
  await expect(members).toContainText("Owner");
  const licenses = page.getByRole("region", { name: "Licenses" });
  await licenses.getByRole("link", { name: `TZ-ENT-****-****-****-${suffix}` }).click();
  await expect(page).toHaveURL(/\/staff\/licenses\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`TZ-ENT-****-****-****-${suffix}`);
  await shot(page, "staff-license-from-customer");
});

test("every back-office page fits 390 px and passes axe", async ({ page }) => {
  await signInThroughOutbox(page, STAFF_EMAIL, "/staff");
  // A long address and company: the longest line is what used to push a column or the page out.
  const key = await issueAsStaff(page, {
    email: uniqueEmail("bo-mobile-accounts-payable-department-of-the-northern-region"),
    company: "Mobile Check Ltd",
  });
  await page.goto(`/staff/licenses?q=${encodeURIComponent(key)}`);
  const licensePath = await page.getByRole("row").nth(1).getByRole("link").first().getAttribute("href");
  await page.goto("/staff/customers?q=Mobile%20Check%20Ltd");
  const customerPath = await page
    .getByRole("row")
    .filter({ hasText: "Mobile Check Ltd" })
    .first()
    .getByRole("link")
    .first()
    .getAttribute("href");
  expect(licensePath).toMatch(/^\/staff\/licenses\/[0-9a-f-]{36}$/);
  expect(customerPath).toMatch(/^\/staff\/customers\/[0-9a-f-]{36}$/);

  const pages = [
    "/staff",
    "/staff/licenses",
    licensePath!,
    "/staff/licenses/new",
    "/staff/customers",
    customerPath!,
    "/staff/audit",
    "/staff/api-tokens",
  ];
  // Desktop first: the licenses table shows every column inside its card at 1280 px.
  await page.goto("/staff/licenses");
  const table = page.getByRole("table", { name: "Licenses, newest first" });
  const box = await table.boundingBox();
  const wrapper = await table.locator("xpath=..").boundingBox();
  expect(box!.width).toBeLessThanOrEqual(wrapper!.width + 1);
  await expectAccessible(page);
  await shot(page, "staff-licenses-1280");

  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of pages) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const { width, wider } = await pageWidth(page);
    expect(width, `${path} at 390 px: ${wider.join(" | ")}`).toBeLessThanOrEqual(390);
    await expectAccessible(page);
    await shot(page, `staff-390${path.replace(/[/]/g, "-").replace(/-[0-9a-f-]{36}$/, "-detail")}`);
  }
});

test("a signed-in customer gets HTTP 403 and the Staff only page on every back-office path", async ({ page }) => {
  const customer = uniqueEmail("not-staff");
  await signInThroughOutbox(page, customer, "/admin");
  await expect(page.getByRole("link", { name: "Back office" })).toHaveCount(0);
  for (const path of [
    "/staff",
    "/staff/licenses",
    "/staff/customers",
    "/staff/audit",
    "/staff/licenses/new",
    "/staff/api-tokens",
    "/staff/webhooks",
  ]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("heading", { name: "Staff only" })).toBeVisible();
    await expect(page.getByRole("main").getByText(customer)).toBeVisible();
  }
  await expectAccessible(page);
  for (const kind of ["licenses", "customers", "payments", "audit"]) {
    const exported = await page.request.get(`/staff/export/${kind}`);
    expect(exported.status(), kind).toBe(403);
    expect((await exported.json()).error.code).toBe("FORBIDDEN");
  }

  // Signed out, the back office still sends to sign-in, and an export is not served.
  await page.context().clearCookies();
  const signedOut = await page.goto("/staff/customers");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fstaff%2Fcustomers/);
  expect(signedOut?.status()).toBe(200);
  const anonymous = await page.request.get("/staff/export/licenses", { maxRedirects: 0 });
  expect([401, 307]).toContain(anonymous.status());
});

test("staff create an API token (shown once), the staff API takes it, and revoking it refuses it at once", async ({
  page,
}) => {
  await signInThroughOutbox(page, STAFF_EMAIL, "/staff");
  const owner = uniqueEmail("bo-token");
  await issueAsStaff(page, { email: owner, company: "Token Test MSP" });

  await page.goto("/staff/api-tokens");
  const name = `CRM sync ${Date.now().toString(36)}`;
  await page.getByLabel("Name").fill(name);
  await page.getByText("Read and write", { exact: true }).click();
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-api-token");
  await expect(shown).toHaveText(/^tzs_[A-Za-z0-9_-]{43}$/);
  const token = (await shown.textContent())!.trim();
  await expect(page.getByText("this is the only time the token is shown")).toBeVisible();
  await shot(page, "staff-api-token-created");

  // The list shows only its first characters; reloading never shows the token again.
  await page.reload();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(`${token.slice(0, 8)}…`);
  await expect(row).toContainText("Never");
  expect(await page.content()).not.toContain(token.slice(8));

  // A system using it: search by the owner's email, through the same core as the back office.
  const api = (path: string) => page.request.get(path, { headers: { Authorization: `Bearer ${token}` } });
  const found = await api(`/api/staff/v1/licenses?q=${encodeURIComponent(owner)}`);
  expect(found.status()).toBe(200);
  expect((await found.json()).items).toHaveLength(1);
  await page.reload();
  await expect(page.getByRole("row").filter({ hasText: name })).not.toContainText("Never");

  // Revoke (behind a confirmation): refused on the very next request.
  await page.getByRole("row").filter({ hasText: name }).getByText("Revoke…").click();
  await page.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Revoked");
  const refused = await api("/api/staff/v1/licenses");
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("UNAUTHENTICATED");

  // The audit log names the token and its creator.
  await page.goto("/staff/audit?action=api_token.revoked");
  await expect(page.getByRole("main")).toContainText("api_token.revoked");
});
