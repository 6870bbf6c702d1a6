/**
 * Air-gapped end to end (docs/AIR-GAPPED.md): the installation CLI writes a request file, the
 * account admin uploads it on License & Billing and downloads the license file, an installation
 * whose server URL points nowhere imports it and is valid; the slot shows as used, and the
 * deactivation code the CLI prints frees it.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { buyProfessional, expectAccessible, shot, signInThroughOutbox, uniqueEmail } from "./support";

const root = path.resolve(import.meta.dirname, "../..");
/** Nothing listens here: the installation is air-gapped. */
const NOWHERE = "http://127.0.0.1:9";

/** The vendor's signing keys, as a customer build ships them (here: saved from the portal under test). */
async function saveVendorKeys(page: Page, dataDir: string): Promise<void> {
  const jwks = await (await page.request.get("/api/public-key")).json();
  writeFileSync(path.join(dataDir, "vendor-jwks.json"), JSON.stringify({ keys: jwks.keys }));
}

function installation(dataDir: string, key: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(root, "packages/client/src/cli.ts"),
      ...args,
      "--server",
      NOWHERE,
      "--key",
      key,
      "--data-dir",
      dataDir,
      "--jwks",
      path.join(dataDir, "vendor-jwks.json"),
    ],
    { cwd: root, encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_ENV: "test" } },
  );
}

test("request file → License & Billing → license file → valid with no server; the code frees the slot", async ({
  page,
}) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "tz-e2e-airgap-"));
  try {
    const email = uniqueEmail("airgap");
    const key = await buyProfessional(page, email);
    expect(key).toMatch(/^TZ-PRO-/);
    await saveVendorKeys(page, dataDir);

    const requestPath = path.join(dataDir, "request.json");
    const request = installation(dataDir, key, "offline-request", "--out", requestPath, "--name", "Vault server");
    expect(request.status, request.stderr + request.stdout).toBe(0);

    await signInThroughOutbox(page, email, "/admin/license");
    const panel = page.getByRole("region", { name: "Air-gapped installations" });
    await expect(panel).toBeVisible();
    await panel.getByLabel("Activation request file").setInputFiles(requestPath);
    await panel.getByRole("button", { name: "Create license file" }).click();
    await expect(panel.getByText("License file ready")).toBeVisible({ timeout: 20_000 });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      panel.getByRole("link", { name: "Download license file" }).click(),
    ]);
    const licensePath = path.join(dataDir, download.suggestedFilename());
    await download.saveAs(licensePath);

    // The installation imports it and answers valid with no server at all.
    const imported = installation(dataDir, key, "offline-import", licensePath);
    expect(imported.status, imported.stderr + imported.stdout).toBe(0);
    const valid = installation(dataDir, key, "validate", "--json");
    expect(valid.status, valid.stderr + valid.stdout).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ valid: true, code: "LICENSE_FILE_VALID" });

    // The slot shows as used, by an air-gapped installation.
    await page.reload();
    const installations = page.getByRole("region", { name: "Installations", exact: true });
    await expect(installations.getByText("1 of 5")).toBeVisible();
    await expect(installations.getByText(/Air-gapped · file valid to/).first()).toBeVisible();
    await expect(installations.getByText("Vault server").first()).toBeVisible();
    await expectAccessible(page);
    await shot(page, "air-gapped-licensed");

    // Offline deactivation: the CLI deletes its file and prints the code; the admin enters it.
    const deactivated = installation(dataDir, key, "offline-deactivate", "--json");
    expect(deactivated.status, deactivated.stderr + deactivated.stdout).toBe(0);
    const code = (JSON.parse(deactivated.stdout) as { code: string }).code;
    expect(code).toMatch(/^TZDC1\./);
    // Its file is gone and no server is reachable: exit 3 (docs/INTEGRATION.md, "Exit codes").
    const afterwards = installation(dataDir, key, "validate");
    expect(afterwards.status).toBe(3);

    await page.getByRole("region", { name: "Air-gapped installations" }).getByLabel("Deactivation code").fill(code);
    await page.getByRole("button", { name: "Free the slot" }).click();
    await expect(page.getByText(/is deactivated and its slot is free/)).toBeVisible({ timeout: 20_000 });
    await page.reload();
    await expect(page.getByRole("region", { name: "Installations", exact: true }).getByText("0 of 5")).toBeVisible();

    // The same code again changes nothing and says so.
    await page.getByRole("region", { name: "Air-gapped installations" }).getByLabel("Deactivation code").fill(code);
    await page.getByRole("button", { name: "Free the slot" }).click();
    await expect(page.getByText(/was already deactivated/)).toBeVisible({ timeout: 20_000 });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a tampered request file is refused with its code, and nothing is counted", async ({ page }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "tz-e2e-airgap-"));
  try {
    const email = uniqueEmail("airgap-bad");
    await buyProfessional(page, email);
    await signInThroughOutbox(page, email, "/admin/license");
    const panel = page.getByRole("region", { name: "Air-gapped installations" });
    await panel.getByLabel("Activation request file").setInputFiles({
      name: "request.json",
      mimeType: "application/json",
      buffer: Buffer.from('{"type":"ticketzero-activation-request","v":1,"request":"e30","proof":"x","signature":"y"}'),
    });
    await panel.getByRole("button", { name: "Create license file" }).click();
    await expect(panel.getByText("No license file issued")).toBeVisible({ timeout: 20_000 });
    await expect(panel.getByText("INVALID_REQUEST_FILE")).toBeVisible();
    await panel.scrollIntoViewIfNeeded();
    await shot(page, "air-gapped-refused");
    await expect(page.getByRole("region", { name: "Installations", exact: true }).getByText("0 of 5")).toBeVisible();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
