/**
 * The tz-license CLI's air-gapped round trip, from source (what `npm run installation` runs):
 * offline-request → the portal's own code (license/offline.ts) answers the license file →
 * offline-import → status → offline-deactivate → the portal frees the slot with the code, with
 * the contract's exit codes and no server at all.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { publicJwks } from "@ticketzero/core/license/certificate";
import { statusByKey } from "@ticketzero/core/license/license-status";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { deactivateWithCode, issueLicenseFile } from "@ticketzero/core/license/offline";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";
import { tempDir } from "./support/helpers";

const root = path.resolve(import.meta.dirname, "../..");

function cli(args: string[]): SpawnSyncReturns<string> {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("TZ_")) delete env[name];
  return spawnSync(process.execPath, ["--import", "tsx", path.join(root, "packages/client/src/cli.ts"), ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("tz-license air-gapped commands", () => {
  it("request, import, status and deactivate with no server", async () => {
    const dir = tempDir("tz-cli-");
    const jwks = path.join(dir, "vendor-jwks.json");
    fs.writeFileSync(jwks, JSON.stringify({ keys: publicJwks().keys }));
    const { license, key } = await issueLicense({ plan: "enterprise", email: testEmail("cli-air") }, { actor: "test" });
    const ctx = { actor: "test" };
    const common = ["--key", key, "--data-dir", path.join(dir, "data"), "--jwks", jwks];

    const requestFile = path.join(dir, "request.json");
    const request = cli(["offline-request", "--out", requestFile, "--name", "Vault 7", ...common]);
    expect(request.status, request.stderr).toBe(0);
    expect(request.stdout).toMatch(/Wrote the activation request/);

    const licenseFile = path.join(dir, "license-file.json");
    const issued = await issueLicenseFile(fs.readFileSync(requestFile, "utf8"), { licenseId: license.id }, ctx);
    fs.writeFileSync(licenseFile, issued.fileText);
    expect((await statusByKey(key, null)).slots?.used).toBe(1);

    const imported = cli(["offline-import", licenseFile, "--json", ...common]);
    expect(imported.status, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ valid: true, code: "LICENSE_FILE_VALID", airGapped: true });

    const status = cli(["status", ...common]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/AIR-GAPPED/);
    expect(cli(["features", "White Label Branding", ...common]).status).toBe(0);

    // A tampered file is refused (exit 1) and the imported one keeps answering.
    const tampered = path.join(dir, "tampered.json");
    const parsed = JSON.parse(fs.readFileSync(licenseFile, "utf8"));
    fs.writeFileSync(tampered, JSON.stringify({ ...parsed, license: `${parsed.license.slice(0, -4)}AAAA` }));
    const refused = cli(["offline-import", tampered, ...common]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/LICENSE_FILE_INVALID.*rule 2/);
    expect(cli(["validate", ...common]).status).toBe(0);

    const deactivated = cli(["offline-deactivate", "--json", ...common]);
    expect(deactivated.status, deactivated.stderr).toBe(0);
    const { code } = JSON.parse(deactivated.stdout);
    const freed = await deactivateWithCode(code, { licenseId: license.id }, ctx, "account");
    expect(freed).toMatchObject({ licenseId: license.id, alreadyDeactivated: false, swapUsed: false });
    expect((await statusByKey(key, null)).slots?.used).toBe(0);

    // Nothing valid left, and no server: exit 3. The old file no longer imports: exit 1.
    expect(cli(["validate", ...common]).status).toBe(3);
    expect(cli(["offline-import", licenseFile, ...common]).status).toBe(1);
  });
});
