/**
 * Billing in Stripe mode, end to end: the app's real Stripe SDK talks to the
 * stand-in process (tests/e2e/stripe-standin-server.ts), which serves the
 * Checkout page and delivers signed webhooks; `/control/*` on it plays the
 * next billing cycle and shows the API requests the app made.
 */
import { expect, type Page, test } from "@playwright/test";
import { expectAccessible, shot, signInThroughOutbox, uniqueEmail } from "./support";

const STANDIN = process.env.TZ_E2E_STANDIN_URL!;

type Recorded = { method: string; path: string; params: Record<string, unknown>; idempotencyKey: string | null };

async function control<T>(page: Page, path: string, body?: Record<string, string>): Promise<T> {
  const response = body
    ? await page.request.post(`${STANDIN}${path}`, { data: body })
    : await page.request.get(`${STANDIN}${path}`);
  expect(response.ok(), `${path}: ${response.status()}`).toBe(true);
  return (await response.json()) as T;
}

async function licenseStatus(page: Page, key: string) {
  const response = await page.request.get("/api/license-status", { headers: { authorization: `Bearer ${key}` } });
  return (await response.json()) as {
    code: string;
    valid: boolean;
    license: { plan: string; expiresAt: string } | null;
    replacement: { key: string; plan: string } | null;
  };
}

test("Stripe mode: buy Starter in Checkout, upgrade to Professional with proration (old key in grace), renew", async ({
  page,
}) => {
  const email = uniqueEmail("stripe");

  // Buy Starter: our checkout form, then Stripe's hosted Checkout (the stand-in), back to the success page.
  await page.goto("/plans");
  await page.getByRole("link", { name: "Buy Starter" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page).toHaveURL(new RegExp(`^${STANDIN.replace(/[.]/g, "\\.")}/c/pay/cs_test_`));
  await expect(page.getByTestId("standin-plan")).toContainText(`starter · $2,500.00 per year · ${email}`);
  await page.getByRole("button", { name: "Pay $2,500.00" }).click();
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("(test mode)")).toHaveCount(0);
  const starterKey = ((await page.getByTestId("license-key").textContent()) ?? "").trim();
  expect(starterKey).toMatch(/^TZ-STA-/);
  const deliveries = await control<{ type: string; status: number }[]>(page, "/control/deliveries");
  expect(deliveries.filter((d) => d.type === "checkout.session.completed").at(-1)?.status).toBe(200);

  await signInThroughOutbox(page, email, "/admin/license");
  const billing = page.getByTestId("billing-card");
  await expect(billing.getByTestId("auto-renew")).toHaveText("On");
  await expect(billing.getByTestId("payment-history")).toContainText("Purchase · Starter");
  await expect(billing.getByTestId("payment-history")).toContainText("$2,500.00");

  // Upgrade from License & Billing: the subscription changes (prorated), no second Checkout.
  await page.getByRole("link", { name: "Upgrade to Professional" }).first().click();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page.getByRole("heading", { name: "Upgraded to Professional" })).toBeVisible({ timeout: 30_000 });
  const proKey = ((await page.getByTestId("upgraded-license-key").textContent()) ?? "").trim();
  expect(proKey).toMatch(/^TZ-PRO-/);
  await expect(page.getByTestId("grace-note")).toContainText(starterKey.slice(0, 6));
  await shot(page, "stripe-upgraded");

  const requests = await control<Recorded[]>(page, "/control/requests");
  expect(requests.filter((r) => r.path === "/v1/checkout/sessions" && r.params.customer_email === email)).toHaveLength(
    1,
  );
  const subscription = await control<{ id: string; items: { data: { price: { id: string; lookup_key: string } }[] } }>(
    page,
    "/control/subscription",
    { email },
  );
  const update = requests.find(
    (r) => r.method === "POST" && r.path === `/v1/subscriptions/${subscription.id}` && r.params.items,
  );
  expect(update?.params).toMatchObject({
    items: [{ price: subscription.items.data[0]!.price.id }],
    proration_behavior: "always_invoice",
    payment_behavior: "pending_if_incomplete",
  });
  expect(subscription.items.data[0]!.price.lookup_key).toBe("ticketzero_professional_yearly");

  // The old key still answers, in its grace period, naming its replacement.
  const old = await licenseStatus(page, starterKey);
  expect(old).toMatchObject({ code: "SUPERSEDED_GRACE", valid: true, replacement: { plan: "professional" } });
  expect(proKey.startsWith(old.replacement!.key.slice(0, 6))).toBe(true);
  expect(old.replacement!.key.slice(-4)).toBe(proKey.slice(-4));

  await page.getByRole("link", { name: "Back to License & Billing" }).click();
  const history = page.getByTestId("payment-history");
  await expect(history).toContainText("Upgrade (prorated) · Professional");
  await expect(page.getByTestId("license-status")).toContainText("Professional");
  const proration = await history.getByRole("row").filter({ hasText: "Upgrade (prorated)" }).textContent();
  // (4,500 − 2,500) for nearly all of the year: just under $2,000.
  expect(proration).toMatch(/\$1,99\d\.\d\d|\$2,000\.00/);

  // The next billing cycle: Stripe's invoice.paid (subscription_cycle) webhook writes a renewal and moves the expiry.
  const before = await licenseStatus(page, proKey);
  const renewed = await control<{ deliveries: { type: string; status: number }[] }>(page, "/control/renew", { email });
  expect(renewed.deliveries.map((d) => [d.type, d.status])).toEqual([
    ["invoice.paid", 200],
    ["customer.subscription.updated", 200],
  ]);
  const after = await licenseStatus(page, proKey);
  const moved = Date.parse(after.license!.expiresAt) - Date.parse(before.license!.expiresAt);
  expect(Math.round(moved / 86_400_000)).toBe(365);

  await page.reload();
  await expect(history).toContainText("Renewal · Professional");
  await expect(history.getByRole("row").filter({ hasText: "Renewal" })).toContainText("$4,500.00");
  await expect(history.getByRole("row")).toHaveCount(4); // header, renewal, proration, purchase
  const year = new Date(after.license!.expiresAt).getUTCFullYear();
  await expect(page.getByTestId("next-charge")).toContainText(`$4,500 on`);
  await expect(page.getByTestId("next-charge")).toContainText(String(year));
  await expectAccessible(page);
  await shot(page, "stripe-renewed");

  // A downgrade at the renewal (confirmed first), scheduled at Stripe; "Keep Professional" withdraws it.
  const dialogs: string[] = [];
  page.once("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
  await billing.getByRole("button", { name: "Switch to Starter at renewal" }).click();
  // The card itself says what changed (the clicked form is replaced by "Keep Professional").
  await expect(billing.getByRole("button", { name: "Keep Professional" })).toBeVisible();
  expect(dialogs[0]).toMatch(/^Switch to Starter at the renewal on .+\? Until then nothing changes\./);
  await expect(billing.getByText("changes at renewal")).toBeVisible();
  await expect(page.getByTestId("next-charge")).toContainText("$2,500 on");
  const scheduled = await control<{ schedule: string | null }>(page, "/control/subscription", { email });
  expect(scheduled.schedule).toMatch(/^sub_sched_/);
  await billing.getByRole("button", { name: "Keep Professional" }).click();
  await expect(billing.getByRole("button", { name: "Switch to Starter at renewal" })).toBeVisible();
  await expect(billing.getByText("changes at renewal")).toHaveCount(0);
  await expect(page.getByTestId("next-charge")).toContainText("$4,500 on");
  expect((await control<{ schedule: string | null }>(page, "/control/subscription", { email })).schedule).toBeNull();
});
