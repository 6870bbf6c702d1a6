/** The license CLI as an operator runs it: a subprocess on the test run's database. */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getDb } from "@ticketzero/core/db/client";
import { licenses, users } from "@ticketzero/core/db/schema";
import { activateLicense } from "@ticketzero/core/license/activations";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testInstallation } from "../support/air-gapped-installation";
import { runLicenseCli } from "../support/cli";
import { testEmail } from "../support/http";

describe("license CLI", () => {
  it("issue → status → revoke → status", async () => {
    const email = testEmail("cli");
    const issued = await runLicenseCli(
      "issue",
      "--plan",
      "professional",
      "--email",
      email,
      "--company",
      "Acme",
      "--max-clients",
      "20",
      "--json",
    );
    expect(issued.code, issued.stderr).toBe(0);
    const { licenseKey, license } = JSON.parse(issued.stdout);
    expect(licenseKey).toMatch(/^TZ-PRO-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(license).toMatchObject({ plan: "professional", email, company: "Acme", limits: { maxClients: 20 } });
    expect(license.key).toBe(`TZ-PRO-****-****-****-${licenseKey.slice(-4)}`);

    const status = await runLicenseCli("status", "--key", licenseKey.toLowerCase(), "--json");
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ valid: true, status: "valid", limits: { maxClients: 20 } });

    const readable = await runLicenseCli("status", "--key", licenseKey);
    expect(readable.code).toBe(0);
    expect(readable.stdout).toMatch(/Status\s+valid \(VALID\)/);
    expect(readable.stdout).toContain(`TZ-PRO-****-****-****-${licenseKey.slice(-4)}`);
    expect(readable.stdout).not.toContain(licenseKey);

    const revoked = await runLicenseCli("revoke", "--key", licenseKey, "--reason", "test");
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain("revoked");
    expect(revoked.stdout).not.toContain(licenseKey);

    const after = await runLicenseCli("status", "--key", licenseKey, "--json");
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ valid: false, status: "invalid", code: "LICENSE_REVOKED" });

    const validate = await runLicenseCli("validate", "--key", licenseKey);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(/NOT VALID \(LICENSE_REVOKED\)/);
  });

  it("installations, deactivate with no swaps left (slot held), release-slot (staff override, audited)", async () => {
    const { license, key } = await issueLicense(
      { plan: "starter", email: testEmail("cli-slots"), limits: { maxActivations: 1 } },
      { actor: "test" },
    );
    await getDb().update(licenses).set({ swapsPer30Days: 0 }).where(eq(licenses.id, license.id));
    await activateLicense({ licenseKey: key, instanceId: "cli-box", instanceName: "Rack 1" }, { actor: "test" });

    const off = await runLicenseCli("deactivate", "--key", key, "--instance", "cli-box", "--json");
    expect(off.code, off.stderr).toBe(0);
    const result = JSON.parse(off.stdout);
    expect(result).toMatchObject({ swapUsed: false, slots: { used: 1, held: 1, swapsLeft: 0 } });
    expect(Date.parse(result.slotFreesAt)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const listed = await runLicenseCli("installations", "--key", key);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/1 of 1 taken, 1 held/);
    expect(listed.stdout).toMatch(/cli-box\s+Rack 1\s+held/);

    expect((await runLicenseCli("release-slot", "--key", key, "--instance", "cli-box")).code).toBe(2);
    const released = await runLicenseCli("release-slot", "--key", key, "--instance", "cli-box", "--reason", "RMA");
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toMatch(/0 of 1 taken/);
    const again = await runLicenseCli("release-slot", "--key", key, "--instance", "cli-box", "--reason", "RMA");
    expect(again.code).toBe(1);
  });

  it("usage errors exit 2, refusals exit 1", async () => {
    expect((await runLicenseCli("frobnicate")).code).toBe(2);
    expect((await runLicenseCli("issue", "--plan", "gold", "--email", testEmail("cli"))).code).toBe(2);
    expect((await runLicenseCli("status")).code).toBe(2);
    const malformed = await runLicenseCli("status", "--key", "TZ-PRO-nope", "--json");
    expect(malformed.code).toBe(1);
    expect(JSON.parse(malformed.stdout)).toMatchObject({ error: { code: "INVALID_FORMAT" } });
    const unknown = await runLicenseCli("status", "--key", "TZ-ENT-AAAA-BBBB-CCCC-DDDD", "--json");
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: "LICENSE_NOT_FOUND" } });
  });

  it("secrets prints environment lines that the server can load", async () => {
    const result = await runLicenseCli("secrets");
    expect(result.code).toBe(0);
    const lines = Object.fromEntries(
      result.stdout
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(Buffer.from(lines.LICENSE_HMAC_SECRET!, "base64")).toHaveLength(32);
    expect(lines.LICENSE_ENCRYPTION_KEYS).toMatch(/^[\w-]+:[A-Za-z0-9+/]+=*$/);
    expect(lines.LICENSE_SIGNING_KEYS).toMatch(/^[\w-]+:[A-Za-z0-9+/]+=*$/);
    // loadSecrets accepts them.
    const saved = { ...process.env };
    try {
      Object.assign(process.env, lines);
      const { loadSecrets } = await import("@ticketzero/core/server/secrets");
      const loaded = loadSecrets();
      expect(loaded.encryptionKeys[0]!.key).toHaveLength(32);
      expect(loaded.signingKeys[0]!.privateKey.asymmetricKeyType).toBe("ed25519");
    } finally {
      for (const name of ["LICENSE_HMAC_SECRET", "LICENSE_ENCRYPTION_KEYS", "LICENSE_SIGNING_KEYS"]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it("license-file answers a request file; deactivate-code frees the slot (air-gapped, staff on the server)", async () => {
    const { license, key } = await issueLicense(
      { plan: "professional", email: testEmail("cli-air"), limits: { maxActivations: 1 } },
      { actor: "test" },
    );
    const dir = mkdtempSync(path.join(tmpdir(), "tz-cli-air-"));
    try {
      const installation = testInstallation();
      const requestFile = path.join(dir, "request.json");
      writeFileSync(requestFile, installation.request(key));
      const out = path.join(dir, "license.json");
      const issued = await runLicenseCli(
        "license-file",
        "--key",
        key,
        "--request",
        requestFile,
        "--out",
        out,
        "--json",
      );
      expect(issued.code, issued.stderr).toBe(0);
      expect(JSON.parse(issued.stdout)).toMatchObject({ licenseFile: out, instanceId: installation.instanceId });
      const file = JSON.parse(readFileSync(out, "utf8"));
      expect(file.type).toBe("ticketzero-license-file");
      const jti = JSON.parse(Buffer.from(file.license.split(".")[1], "base64url").toString()).jti;

      // The slot is taken: an online activation is refused until the code frees it.
      await expect(
        activateLicense({ licenseKey: key, instanceId: "cli-online" }, { actor: "test" }),
      ).rejects.toMatchObject({
        code: "ACTIVATION_LIMIT_REACHED",
      });
      const forged = await runLicenseCli(
        "deactivate-code",
        "--code",
        testInstallation().deactivationCode(license.id, jti),
      );
      expect(forged.code).toBe(1);
      expect(forged.stderr).toContain("INVALID_DEACTIVATION_CODE");
      const freed = await runLicenseCli("deactivate-code", "--code", installation.deactivationCode(license.id, jti));
      expect(freed.code, freed.stderr).toBe(0);
      expect(freed.stdout).toContain("slot is free now");
      await activateLicense({ licenseKey: key, instanceId: "cli-online" }, { actor: "test" });

      const missing = await runLicenseCli("license-file");
      expect(missing.code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("license CLI: staff API tokens", () => {
  it("create for a staff member (shown once), list with the prefix only, revoke; refusals exit 1 or 2", async () => {
    const staffEmail = testEmail("cli-staff");
    const staffId = crypto.randomUUID();
    await getDb().insert(users).values({ id: staffId, email: staffEmail, isStaff: true });

    const created = await runLicenseCli(
      "api-token-create",
      "--name",
      "ops script",
      "--scope",
      "read",
      "--email",
      staffEmail,
      "--json",
    );
    expect(created.code, created.stderr).toBe(0);
    const { token, apiToken } = JSON.parse(created.stdout);
    expect(token).toMatch(/^tzs_[A-Za-z0-9_-]{43}$/);
    expect(apiToken).toMatchObject({ name: "ops script", scope: "read", prefix: token.slice(0, 8) });

    const listed = await runLicenseCli("api-tokens");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${token.slice(0, 8)}…`);
    expect(listed.stdout).not.toContain(token.slice(8));

    const revoked = await runLicenseCli("api-token-revoke", "--id", apiToken.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain("revoked");

    const notStaff = await runLicenseCli(
      "api-token-create",
      "--name",
      "x",
      "--scope",
      "read",
      "--email",
      testEmail("cli-nobody"),
    );
    expect(notStaff.code).toBe(1);
    expect(notStaff.stderr).toContain("FORBIDDEN");
    const badScope = await runLicenseCli("api-token-create", "--name", "x", "--scope", "admin", "--email", staffEmail);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toContain("VALIDATION_FAILED");
    const missing = await runLicenseCli("api-token-create", "--scope", "read", "--email", staffEmail);
    expect(missing.code).toBe(2);
  });
});

describe("license CLI: state changes follow the back office's rules", () => {
  it("suspending twice or reinstating a superseded license is a CONFLICT (exit 1) that changes nothing", async () => {
    const { license, key } = await issueLicense({ plan: "starter", email: testEmail("cli-states") }, { actor: "test" });
    expect((await runLicenseCli("suspend", "--key", key)).code).toBe(0);
    const again = await runLicenseCli("suspend", "--key", key);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("CONFLICT");
    expect((await runLicenseCli("reinstate", "--key", key)).code).toBe(0);
    await getDb().update(licenses).set({ state: "superseded" }).where(eq(licenses.id, license.id));
    const back = await runLicenseCli("reinstate", "--key", key);
    expect(back.code).toBe(1);
    expect(back.stderr).toContain("CONFLICT");
    const [row] = await getDb().select().from(licenses).where(eq(licenses.id, license.id));
    expect(row!.state).toBe("superseded");
  });
});
