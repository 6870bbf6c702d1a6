/** The license CLI as an operator runs it: a subprocess on the test run's database. */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

const root = path.resolve(import.meta.dirname, "../..");

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/license-cli.ts"), ...args], {
      cwd: root,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("license CLI", () => {
  it("issue → status → revoke → status", async () => {
    const email = testEmail("cli");
    const issued = await cli(
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

    const status = await cli("status", "--key", licenseKey.toLowerCase(), "--json");
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ valid: true, status: "valid", limits: { maxClients: 20 } });

    const readable = await cli("status", "--key", licenseKey);
    expect(readable.code).toBe(0);
    expect(readable.stdout).toMatch(/Status\s+valid \(VALID\)/);
    expect(readable.stdout).toContain(`TZ-PRO-****-****-****-${licenseKey.slice(-4)}`);
    expect(readable.stdout).not.toContain(licenseKey);

    const revoked = await cli("revoke", "--key", licenseKey, "--reason", "test");
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain("revoked");
    expect(revoked.stdout).not.toContain(licenseKey);

    const after = await cli("status", "--key", licenseKey, "--json");
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ valid: false, status: "invalid", code: "REVOKED" });

    const validate = await cli("validate", "--key", licenseKey);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(/NOT VALID \(REVOKED\)/);
  });

  it("usage errors exit 2, refusals exit 1", async () => {
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("issue", "--plan", "gold", "--email", testEmail("cli"))).code).toBe(2);
    expect((await cli("status")).code).toBe(2);
    const malformed = await cli("status", "--key", "TZ-PRO-nope", "--json");
    expect(malformed.code).toBe(1);
    expect(JSON.parse(malformed.stdout)).toMatchObject({ error: { code: "INVALID_FORMAT" } });
    const unknown = await cli("status", "--key", "TZ-ENT-AAAA-BBBB-CCCC-DDDD", "--json");
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: "LICENSE_NOT_FOUND" } });
  });

  it("secrets prints environment lines that the server can load", async () => {
    const result = await cli("secrets");
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
      const { loadSecrets } = await import("@/lib/server/secrets");
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
});
