/**
 * Outbound webhooks in the back office, in Chromium: staff add an endpoint
 * pointing at a receiver this spec runs (the server allows local targets:
 * WEBHOOK_ALLOW_PRIVATE_TARGETS in playwright.config.ts), see its secret
 * once, suspend a license, watch the delivery arrive in the log (delivered,
 * 200), replay it, and the receiver gets the same webhook-id twice.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import {
  expectAccessible,
  issueAsStaff,
  pageWidth,
  STAFF_EMAIL,
  shot,
  signInThroughOutbox,
  uniqueEmail,
} from "./support";

let server: Server;
let url: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("thanks");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ticketzero/${Date.now().toString(36)}`;
});

test.afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("staff add an endpoint, see its secret once, and a suspend is delivered, logged and replayed", async ({
  page,
}) => {
  await signInThroughOutbox(page, STAFF_EMAIL, "/staff");
  const owner = uniqueEmail("wh-owner");
  const key = await issueAsStaff(page, { email: owner });
  await page.getByRole("link", { name: "Open the license" }).click();
  await expect(page).toHaveURL(/\/staff\/licenses\/[0-9a-f-]{36}$/);
  const licensePath = new URL(page.url()).pathname;

  await page.getByRole("navigation", { name: "Back office sections" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  await expectAccessible(page);

  // A refused URL first: a stable code, nothing saved.
  await page.getByLabel("Endpoint URL").fill("ftp://example.com/x");
  await page.getByRole("checkbox", { name: /license\.suspended/ }).check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText("WEBHOOK_URL_REFUSED")).toBeVisible();

  await page.getByLabel("Endpoint URL").fill(url);
  await page.getByLabel("Description").fill("CRM sync");
  await expect(page.getByRole("checkbox", { name: /license\.suspended/ })).toBeChecked(); // kept after the refusal
  await page.getByRole("checkbox", { name: /license\.reinstated/ }).check();
  await page.getByRole("button", { name: "Add endpoint" }).click();

  // The secret, once, with a copy button and the warning.
  const secretBox = page.getByTestId("webhook-secret");
  await expect(secretBox).toHaveText(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const secret = (await secretBox.textContent())!.trim();
  await expect(page.getByRole("button", { name: "Copy signing secret" })).toBeVisible();
  await expect(page.getByText("you won't see this secret again")).toBeVisible();
  await expectAccessible(page);
  await shot(page, "staff-webhooks-secret");
  await page.getByRole("link", { name: "Open the endpoint" }).click();
  await expect(page).toHaveURL(/\/staff\/webhooks\/[0-9a-f-]{36}$/);
  const endpointPath = new URL(page.url()).pathname;
  // Not shown again.
  await expect(page.getByText(secret)).toHaveCount(0);

  // Suspend the license in the back office: the event is delivered.
  await page.goto(licensePath);
  await page.getByRole("form", { name: "Suspend" }).getByRole("checkbox").check();
  await page.getByRole("button", { name: "Suspend license" }).click();
  await expect(page.getByText(/is suspended/)).toBeVisible();
  await expect.poll(() => received.length, { timeout: 30_000 }).toBe(1);
  const first = received[0]!;
  const verified = new Webhook(secret).verify(first.body, first.headers as Record<string, string>) as {
    type: string;
    data: { license: { keyMasked: string } };
  };
  expect(verified.type).toBe("license.suspended");
  expect(first.body).not.toContain(key);

  // The log shows it delivered, 200, the license masked.
  await page.goto(endpointPath);
  const row = page.getByTestId("webhook-delivery").first();
  await expect(row).toContainText("license.suspended");
  await expect(row).toContainText("delivered");
  await expect(row).toContainText("200");
  await expect(row).toContainText(verified.data.license.keyMasked);
  await row.getByText("Payload and attempts").click();
  await expect(row.getByText(String(first.headers["webhook-id"]), { exact: true })).toBeVisible();
  await expectAccessible(page);
  await shot(page, "staff-webhook-endpoint");

  // Replay: pending, then a success message; the receiver gets the same webhook-id again.
  await row.getByRole("button", { name: /^Replay delivery/ }).click();
  // The log refreshes with the replay on top; the message stays with the replayed row.
  await expect(page.getByText(/Queued again as delivery/)).toBeVisible();
  await expect.poll(() => received.length, { timeout: 30_000 }).toBe(2);
  expect(received[1]!.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
  await page.reload();
  await expect(page.getByTestId("webhook-delivery")).toHaveCount(2);
  await expect(page.getByTestId("webhook-delivery").first()).toContainText("replay of #");

  // The list shows its health; both pages fit 390 px.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ["/staff/webhooks", endpointPath]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const { width, wider } = await pageWidth(page);
    expect(width, `${path} at 390 px: ${wider.join(" | ")}`).toBeLessThanOrEqual(390);
    await expectAccessible(page);
  }
  await page.goto("/staff/webhooks");
  const listed = page.getByRole("row").filter({ hasText: url });
  await expect(listed).toContainText("Enabled");
  await expect(listed).toContainText("delivered");
  await shot(page, "staff-webhooks-390");
});
