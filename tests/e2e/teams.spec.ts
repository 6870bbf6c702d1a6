import { type Browser, expect, type Page, test } from "@playwright/test";
import { expectAccessible, issueAsStaff, STAFF_EMAIL, shot, signInThroughOutbox, uniqueEmail } from "./support";

/** A page in a browser context of its own (its own cookies), closed by the caller's context.close(). */
async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test("a staff-issued license appears in its owner's portal; a signed-out trial for that paying address changes nothing until they claim it", async ({
  browser,
}) => {
  const customer = uniqueEmail("paying");
  const staff = await freshPage(browser);
  await signInThroughOutbox(staff, STAFF_EMAIL, "/staff/licenses/new");
  const key = await issueAsStaff(staff, { plan: "Enterprise", email: customer });
  expect(key).toMatch(/^TZ-ENT-/);
  await staff.context().close();

  // A stranger, signed out, starts a trial for the paying customer's address.
  const stranger = await freshPage(browser);
  await stranger.goto("/trial");
  await stranger.getByLabel("Email").fill(customer);
  await stranger.getByRole("button", { name: "Start 30-Day Trial" }).click();
  await expect(stranger.getByRole("status").filter({ hasText: "no account changes until then" })).toBeVisible();
  await stranger.context().close();

  // The customer signs in: the staff-issued Enterprise license, unchanged; the trial only waits.
  const page = await freshPage(browser);
  await signInThroughOutbox(page, customer, "/admin/license");
  const status = page.getByTestId("license-status");
  await expect(status).toHaveAttribute("data-status", "valid");
  await expect(status).toContainText("Enterprise");
  const waiting = page.getByRole("region", { name: "Waiting for you" });
  await expect(waiting).toContainText("Trial");
  await expect(page.getByRole("region", { name: "Your licenses" })).toHaveCount(0);
  await expectAccessible(page);
  await shot(page, "license-billing-waiting-trial");

  // Claimed: on the account, and the paid license still comes first.
  await waiting.getByRole("button", { name: /Add to my account/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "The license is on your account now." })).toBeVisible();
  await page.goto("/admin/license");
  await expect(status).toHaveAttribute("data-status", "valid");
  await expect(status).toContainText("Enterprise");
  const switcher = page.getByRole("region", { name: "Your licenses" });
  await expect(switcher.getByRole("listitem")).toHaveCount(2);
  await expect(page.getByRole("region", { name: "Waiting for you" })).toHaveCount(0);

  // The switcher opens the trial; a trial is not offered as the primary while a paid license runs.
  await switcher.getByRole("link", { name: /Trial/ }).click();
  await expect(status).toHaveAttribute("data-status", "trial");
  await expect(switcher.getByRole("button", { name: /Make primary: Trial/ })).toHaveCount(0);
  await page.goto("/admin/license");
  await expect(status).toContainText("Enterprise");
  await shot(page, "license-billing-switcher");
  await page.context().close();
});

test("an owner invites a teammate who sees the license; a read-only member cannot deactivate; removing them ends their access at once", async ({
  browser,
  request,
}) => {
  const ownerEmail = uniqueEmail("owner");
  const adminEmail = uniqueEmail("teammate");
  const viewerEmail = uniqueEmail("reader");
  const owner = await freshPage(browser);
  await signInThroughOutbox(owner, ownerEmail, "/admin/license");
  await owner.getByRole("button", { name: "Start 30-Day Trial" }).click();
  const key = (await owner.getByTestId("trial-license-key").textContent())!.trim();
  expect(
    (
      await request.post("/admin/activate-license", {
        data: { licenseKey: key, instanceId: "team-rack-1", instanceName: "Rack 1" },
      })
    ).status(),
  ).toBe(201);

  await owner.goto("/admin/team");
  const invite = owner.getByRole("form", { name: /Invite someone/ });
  await invite.getByLabel("Invite by email").fill(adminEmail);
  await invite.getByLabel("Role").selectOption("admin");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await expect(owner.getByRole("status").filter({ hasText: "Invitation sent" })).toBeVisible();
  await invite.getByLabel("Invite by email").fill(viewerEmail);
  await invite.getByLabel("Role").selectOption("viewer");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await expect(owner.getByRole("list", { name: /Members of/ }).getByRole("listitem")).toHaveCount(3);
  await expectAccessible(owner);
  await shot(owner, "team-page");

  // The teammate (admin) signs in through the invitation's address: nothing until they accept.
  const admin = await freshPage(browser);
  await admin.goto(`/dev/outbox?to=${encodeURIComponent(adminEmail)}`);
  await expect(admin.getByRole("article").first()).toContainText("You are invited to");
  await signInThroughOutbox(admin, adminEmail, "/admin/license");
  await expect(admin.getByTestId("license-status")).toContainText("No active license");
  await admin.getByRole("link", { name: "Review the invitation" }).click();
  await admin
    .getByRole("region", { name: "Invitations" })
    .getByRole("button", { name: /^Accept/ })
    .click();
  await expect(admin.getByRole("status").filter({ hasText: "Invitation accepted" })).toBeVisible();
  await admin.goto("/admin/license");
  await expect(admin.getByTestId("license-status")).toHaveAttribute("data-status", "trial");
  const adminInstallations = admin.getByRole("region", { name: "Installations", exact: true });
  await expect(adminInstallations).toContainText("Rack 1");
  await expect(adminInstallations.locator("summary", { hasText: "Deactivate…" }).filter({ visible: true })).toHaveCount(
    1,
  );

  // The read-only member sees it all and can change nothing.
  const viewer = await freshPage(browser);
  await signInThroughOutbox(viewer, viewerEmail, "/admin/team");
  await viewer
    .getByRole("region", { name: "Invitations" })
    .getByRole("button", { name: /^Accept/ })
    .click();
  await expect(viewer.getByRole("status").filter({ hasText: "Invitation accepted" })).toBeVisible();
  await viewer.goto("/admin/license");
  await expect(viewer.getByTestId("license-status")).toHaveAttribute("data-status", "trial");
  await expect(viewer.getByText("Read-only access")).toBeVisible();
  const viewerInstallations = viewer.getByRole("region", { name: "Installations", exact: true });
  await expect(viewerInstallations).toContainText("Rack 1");
  await expect(viewerInstallations.locator("summary", { hasText: "Deactivate…" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Reveal key" })).toHaveCount(0);
  // On the Team page they see the owner's team without its invite form (their own team has one).
  await viewer.goto("/admin/team");
  await expect(viewer.getByRole("region", { name: ownerEmail })).toContainText(viewerEmail);
  await expect(viewer.getByRole("form", { name: `Invite someone to ${ownerEmail}` })).toHaveCount(0);

  // The owner removes the read-only member: their next page load shows no license.
  await owner.goto("/admin/team");
  const row = owner.getByRole("listitem").filter({ hasText: viewerEmail });
  await row.locator("summary", { hasText: "Remove…" }).click();
  await row.getByRole("button", { name: "Remove from team" }).click();
  await expect(
    owner.getByRole("status").filter({ hasText: "Their access to this team’s licenses ended" }),
  ).toBeVisible();
  await viewer.goto("/admin/license");
  await expect(viewer.getByTestId("license-status")).toContainText("No active license");

  // The last owner cannot be removed.
  const self = owner.getByRole("listitem").filter({ hasText: ownerEmail });
  await self.locator("summary", { hasText: "Leave…" }).click();
  await self.getByRole("button", { name: "Leave team" }).click();
  await expect(owner.getByRole("alert").filter({ hasText: "A team always keeps an owner" })).toBeVisible();
  for (const p of [owner, admin, viewer]) await p.context().close();
});

test("signing out ends the session on the server: a copied cookie is refused; sign out everywhere ends the others", async ({
  browser,
}) => {
  const email = uniqueEmail("session");
  const page = await freshPage(browser);
  await signInThroughOutbox(page, email, "/admin/license");
  const copied = await page.context().cookies();
  expect(copied.some((c) => c.name.includes("authjs.session-token"))).toBe(true);

  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/$/);
  const thief = await browser.newContext();
  await thief.addCookies(copied);
  const stolen = await thief.newPage();
  await stolen.goto("/admin/license");
  await expect(stolen).toHaveURL(/\/signin/);
  await thief.close();

  // Two browsers signed in as one person: "Sign out everywhere" in one ends the other too.
  await signInThroughOutbox(page, email, "/admin/team");
  const laptop = await freshPage(browser);
  await signInThroughOutbox(laptop, email, "/admin/license");
  await page.locator("summary", { hasText: "Sign out everywhere…" }).click();
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await laptop.goto("/admin/license");
  await expect(laptop).toHaveURL(/\/signin/);
  await page.context().close();
  await laptop.context().close();
});
