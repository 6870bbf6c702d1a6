/** Activations, and refused activations, each leave an audit_events row (keys masked only). */

import { getDb } from "@ticketzero/core/db/client";
import { activateLicense } from "@ticketzero/core/license/activations";
import { issueLicense, revokeLicense } from "@ticketzero/core/license/licenses";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

type AuditRow = { action: string; actor: string; detail: Record<string, unknown>; ip: string | null };

async function auditOf(licenseId: string): Promise<AuditRow[]> {
  return [
    ...(await getDb().execute<AuditRow>(
      sql`select action, actor, detail, ip from audit_events where license_id = ${licenseId} order by id`,
    )),
  ];
}

describe("audit", () => {
  it("an activation and a refused activation each leave a row", async () => {
    const { license, key } = await issueLicense(
      { plan: "professional", email: testEmail("audit"), limits: { maxActivations: 1 } },
      { actor: "test" },
    );
    const ctx = { actor: "installation:audit", ip: "10.1.2.3" };
    await activateLicense({ licenseKey: key, instanceId: "audit-1" }, ctx);
    await expect(activateLicense({ licenseKey: key, instanceId: "audit-2" }, ctx)).rejects.toMatchObject({
      code: "ACTIVATION_LIMIT_REACHED",
    });
    const rows = await auditOf(license.id);
    expect(rows.map((r) => r.action)).toEqual(["license.issued", "activation.created", "activation.refused"]);
    expect(rows[1]).toMatchObject({ actor: "installation:audit", ip: "10.1.2.3", detail: { instanceId: "audit-1" } });
    expect(rows[2]).toMatchObject({
      actor: "installation:audit",
      ip: "10.1.2.3",
      detail: { instanceId: "audit-2", code: "ACTIVATION_LIMIT_REACHED" },
    });
    expect(JSON.stringify(rows)).not.toContain(key);
  });

  it("an activation refused for a revoked license leaves a row", async () => {
    const { license, key } = await issueLicense({ plan: "starter", email: testEmail("audit-rev") }, { actor: "test" });
    await revokeLicense(key, { actor: "test" }, "chargeback");
    await expect(activateLicense({ licenseKey: key, instanceId: "audit-r" }, { actor: "test" })).rejects.toMatchObject({
      code: "LICENSE_REVOKED",
    });
    const rows = await auditOf(license.id);
    expect(rows.map((r) => r.action)).toEqual(["license.issued", "license.revoked", "activation.refused"]);
    expect(rows[2]!.detail).toMatchObject({ code: "LICENSE_REVOKED", instanceId: "audit-r" });
    expect(JSON.stringify(rows)).not.toContain(key);
  });
});
