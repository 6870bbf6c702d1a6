/**
 * What a customer sees when TicketZero suspends, reinstates or revokes their license: the state's
 * own words and a real support link, never an expiry in the future or a renewal that cannot help.
 * The operator acts with the license CLI on the server's data folder, as staff would.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { buyProfessional, expectAccessible, shot, signInThroughOutbox, uniqueEmail } from "./support";

const root = path.resolve(import.meta.dirname, "../..");

function licenseCli(...args: string[]): string {
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts/license-cli.ts"), ...args], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: process.env.TZ_E2E_DATA_DIR,
      APP_ENV: "development",
      DATABASE_URL: "",
      JOBS: "off",
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status, `${args.join(" ")}: ${run.stderr}${run.stdout}`).toBe(0);
  return run.stdout;
}

test("suspended and revoked licenses say so, link to support, and offer no renewal", async ({ page }) => {
  const email = uniqueEmail("states");
  const key = await buyProfessional(page, email);
  expect(key).toMatch(/^TZ-PRO-/);
  await signInThroughOutbox(page, email, "/admin/license");
  const card = page.getByTestId("license-status");
  await expect(card).toHaveAttribute("data-status", "valid");

  licenseCli("suspend", "--key", key, "--reason", "e2e: unpaid invoice");
  await page.reload();
  await expect(card).toHaveAttribute("data-status", "invalid");
  await expect(card.getByText("Suspended").first()).toBeVisible();
  await expect(card).toContainText("installations using it have stopped");
  await expect(card).not.toContainText("Expired on");
  await expect(card).not.toContainText("days left");
  await expect(card).toContainText("Term ends on");
  const support = card.getByRole("link", { name: "Contact support" });
  await expect(support).toHaveAttribute("href", /^mailto:support@ticketzero\.ai\?subject=Suspended%20license/);
  await expect(card.getByRole("link", { name: /Renew/ })).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "license-suspended");

  // The overview says the same, with the same next step.
  await page.goto("/admin");
  const next = page.getByTestId("license-next-step");
  await expect(next).toContainText("suspended");
  await expect(next.getByRole("link", { name: "Contact support" })).toHaveAttribute("href", /^mailto:/);
  await expect(page.getByRole("region", { name: "Days remaining" })).toContainText("Suspended");
  await expect(page.getByRole("region", { name: "Days remaining" })).not.toContainText(/^0$/);

  // Reinstated: valid again, with its renewal; revoked: no date, support only.
  licenseCli("reinstate", "--key", key);
  await page.goto("/admin/license");
  await expect(card).toHaveAttribute("data-status", "valid");
  await expect(card.getByRole("link", { name: "Renew Professional" })).toBeVisible();

  licenseCli("revoke", "--key", key, "--reason", "e2e: chargeback");
  await page.reload();
  await expect(card.getByText("Revoked").first()).toBeVisible();
  await expect(card).toContainText("cannot be renewed");
  await expect(card).not.toContainText(/Expire[sd] on/);
  await expect(card.getByRole("link", { name: "Contact support" })).toBeVisible();
  await expect(card.getByRole("link", { name: /Renew/ })).toHaveCount(0);
  await shot(page, "license-revoked");
});
