/**
 * Every page at a phone's width (390×844): no horizontal overflow (the page never pans sideways)
 * and no serious or critical axe violation. One list of pages per visitor; add a row to cover a
 * new page. Sign-ins happen once per visitor and are reused across that visitor's pages.
 */
import { type Browser, type BrowserContext, expect, type Page, request, test } from "@playwright/test";
import { expectAccessible, pageWidth, shot, signInThroughOutbox, uniqueEmail } from "./support";

const PHONE = { width: 390, height: 844 };

type Visitor = "signed-out" | "no-license" | "licensed";
type PageCase = {
  name: string;
  visitor: Visitor;
  /** A path, or a function that reaches the page (and returns once it shows). */
  path: string | ((page: Page) => Promise<void>);
  /** Something the page shows, so the checks run on the page meant (not an error page). */
  expectText: string | RegExp;
};

const PAGES: PageCase[] = [
  { name: "landing", visitor: "signed-out", path: "/", expectText: "TicketZero" },
  { name: "plans", visitor: "signed-out", path: "/plans", expectText: "Compare every feature" },
  { name: "trial", visitor: "signed-out", path: "/trial", expectText: "Start 30-Day Trial" },
  { name: "sign-in", visitor: "signed-out", path: "/signin", expectText: "Email me a sign-in link" },
  { name: "check email", visitor: "signed-out", path: "/signin/check-email", expectText: "Check your email" },
  { name: "checkout", visitor: "signed-out", path: "/checkout?plan=starter", expectText: "Continue to payment" },
  {
    name: "test-mode checkout",
    visitor: "signed-out",
    path: async (page) => {
      await page.goto("/checkout?plan=starter");
      await page.getByLabel("Email").fill(uniqueEmail("mobile-checkout"));
      await page.getByRole("button", { name: "Continue to payment" }).click();
      await expect(page).toHaveURL(/\/checkout\/test\//);
    },
    expectText: "TEST MODE checkout",
  },
  { name: "dev outbox", visitor: "signed-out", path: "/dev/outbox", expectText: "Dev outbox" },
  { name: "API reference", visitor: "signed-out", path: "/docs/api", expectText: "API reference" },
  { name: "not found", visitor: "signed-out", path: "/no-such-page", expectText: "We couldn’t find that page" },
  { name: "admin overview, no license", visitor: "no-license", path: "/admin", expectText: "Set up a license" },
  {
    name: "license & billing, no license",
    visitor: "no-license",
    path: "/admin/license",
    expectText: "No active license",
  },
  { name: "admin overview, licensed", visitor: "licensed", path: "/admin", expectText: "Professional plan" },
  {
    name: "license & billing, licensed with an installation",
    visitor: "licensed",
    path: "/admin/license",
    expectText: "Helpdesk server",
  },
  { name: "team", visitor: "licensed", path: "/admin/team", expectText: "Invite by email" },
  {
    name: "manage billing (test mode)",
    visitor: "licensed",
    path: async (page) => {
      await page.goto("/admin/license");
      await page.getByRole("button", { name: "Manage billing" }).click();
      await expect(page).toHaveURL(/\/admin\/license\/billing/);
    },
    expectText: "Manage billing",
  },
  {
    name: "receipt",
    visitor: "licensed",
    path: async (page) => {
      await page.goto("/admin/license");
      await page
        .getByRole("link", { name: /^Receipt/ })
        .first()
        .click();
      await expect(page).toHaveURL(/\/receipt\//);
    },
    expectText: "Receipt number",
  },
  {
    name: "checkout success (the paying browser)",
    visitor: "signed-out",
    path: async (page) => {
      await page.goto("/checkout?plan=starter");
      await page.getByLabel("Email").fill(uniqueEmail("mobile-success"));
      await page.getByRole("button", { name: "Continue to payment" }).click();
      await page.getByRole("button", { name: /^Pay .* \(test mode\)$/ }).click();
    },
    expectText: "Payment received",
  },
];

/** An account admin with a Professional license (bought in test mode) and one activated installation. */
async function licensedAccount(page: Page): Promise<void> {
  const email = uniqueEmail("mobile-owner");
  await page.goto("/checkout?plan=professional");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.getByRole("button", { name: /^Pay .* \(test mode\)$/ }).click();
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 30_000 });
  const key = (await page.getByTestId("license-key").textContent())?.trim() ?? "";
  expect(key).toMatch(/^TZ-PRO-/);
  await signInThroughOutbox(page, email, "/admin/license");
  // An installation, activated the way TicketZero AI activates itself (no browser, no cookies).
  const installation = await request.newContext({ baseURL: test.info().project.use.baseURL });
  const activated = await installation.post("/admin/activate-license", {
    data: { licenseKey: key, instanceId: "mobile-server-1", instanceName: "Helpdesk server" },
  });
  expect(activated.status(), await activated.text()).toBeLessThan(300);
  await installation.dispose();
}

const contexts = new Map<Visitor, BrowserContext>();

async function contextFor(browser: Browser, visitor: Visitor): Promise<BrowserContext> {
  let context = contexts.get(visitor);
  if (context) return context;
  context = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    baseURL: test.info().project.use.baseURL,
  });
  const page = await context.newPage();
  if (visitor === "no-license") await signInThroughOutbox(page, uniqueEmail("mobile-empty"), "/admin");
  if (visitor === "licensed") await licensedAccount(page);
  await page.close();
  contexts.set(visitor, context);
  return context;
}

test.describe("every page at 390 px: no sideways scroll, no serious axe violation", () => {
  test.afterAll(async () => {
    for (const context of contexts.values()) await context.close();
    contexts.clear();
  });

  for (const row of PAGES) {
    test(`${row.name} (${row.visitor})`, async ({ browser }) => {
      const context = await contextFor(browser, row.visitor);
      const page = await context.newPage();
      try {
        if (typeof row.path === "string") await page.goto(row.path);
        else await row.path(page);
        await expect(page.locator("body")).toContainText(row.expectText);
        await page.waitForLoadState("networkidle");
        const { width, wider } = await pageWidth(page, PHONE.width);
        expect(
          width,
          `${page.url()} is ${width} px wide at ${PHONE.width} px: ${wider.join(", ")}`,
        ).toBeLessThanOrEqual(PHONE.width);
        await expectAccessible(page);
        await shot(page, `mobile-${row.name.replace(/\W+/g, "-")}`);
      } finally {
        await page.close();
      }
    });
  }
});
