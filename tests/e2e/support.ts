import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

export const SCREENSHOT_DIR = "test-results/screenshots";

/** A fresh address per call, so tests never share an account or a trial. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}@e2e.ticketzero.test`;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** A well-formed Professional key that no license has (80 random bits). */
export function unknownProKey(): string {
  const group = () => Array.from(randomBytes(4), (b) => CROCKFORD[b % 32]).join("");
  return `TZ-PRO-${group()}-${group()}-${group()}-${group()}`;
}

/** A full-page screenshot kept as an artifact under test-results/screenshots/. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true, animations: "disabled" });
}

/** Fails on any serious or critical axe violation, listing them. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const blocking = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = blocking.map(
    (v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
  expect(summary, `axe violations on ${page.url()}`).toEqual([]);
}

/** Signs in through the magic link in the dev outbox; ends on `callbackPath`. */
export async function signInThroughOutbox(page: Page, email: string, callbackPath = "/admin"): Promise<void> {
  await page.goto(`/signin?callbackUrl=${encodeURIComponent(callbackPath)}&email=${encodeURIComponent(email)}`);
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page).toHaveURL(/\/signin\/check-email/);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await page.goto(`/dev/outbox?to=${encodeURIComponent(email)}`);
  const mail = page.getByRole("article").filter({ hasText: "Sign in to the TicketZero License Portal" }).first();
  await mail.getByRole("link", { name: /\/api\/auth\/callback\/email/ }).click();
  await expect(page).toHaveURL(new RegExp(`${callbackPath.replace(/[/]/g, "\\/")}(\\?|#|$)`));
}

/** Starts a trial on the public page and returns its key. */
export async function startPublicTrial(page: Page, email: string): Promise<string> {
  await page.goto("/trial");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Start 30-Day Trial" }).click();
  const key = page.getByTestId("trial-license-key");
  await expect(key).toHaveText(/^TZ-TRIAL-[0-9A-Z]{8}$/);
  return (await key.textContent())!.trim();
}

/** The page's width, and the last elements that stick out past `limit` (to name the culprit when it fails). */
export const pageWidth = (page: Page, limit = 390) =>
  page.evaluate((edge) => {
    return {
      width: document.documentElement.scrollWidth,
      wider: [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > edge + 1)
        .slice(-3)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className.toString().slice(0, 60)}`),
    };
  }, limit);

/** The staff address in playwright.config.ts's STAFF_EMAILS. */
export const STAFF_EMAIL = "staff@e2e.ticketzero.test";

/** Issues a license through the back office's form (staff signed in on `page`); returns its key. */
export async function issueAsStaff(
  page: Page,
  options: { email: string; company?: string; plan?: "Trial" | "Starter" | "Professional" | "Enterprise" },
): Promise<string> {
  await page.goto("/staff/licenses/new");
  if (options.plan) await page.getByRole("radio", { name: new RegExp(options.plan) }).check();
  await page.getByLabel("Customer email").fill(options.email);
  if (options.company) await page.getByLabel("Company").fill(options.company);
  await page.getByRole("button", { name: "Issue license" }).click();
  const key = page.locator("code").filter({ hasText: /^TZ-/ }).first();
  await expect(key).toBeVisible();
  return (await key.textContent())!.trim();
}

/** Buys a Professional license through the test-mode checkout; returns the key the success page shows. */
export async function buyProfessional(page: Page, email: string): Promise<string> {
  await page.goto("/checkout?plan=professional");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.getByRole("button", { name: /^Pay .* \(test mode\)$/ }).click();
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 30_000 });
  return (await page.getByTestId("license-key").textContent())?.trim() ?? "";
}
