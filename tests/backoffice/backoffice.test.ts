/**
 * The back office core (lib/license/backoffice.ts). The database is shared
 * with other suites (and kept between runs on PostgreSQL): every test makes
 * its own rows with random emails, and figures are checked as deltas.
 */

import { randomBytes } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { auditEvents, licenses, payments, usageMonths } from "@ticketzero/core/db/schema";
import { activateLicense } from "@ticketzero/core/license/activations";
import {
  auditLog,
  extendById,
  figures,
  isStaff,
  issueCustom,
  licenseDetail,
  reinstateById,
  revokeById,
  searchLicenses,
  setCustomLimits,
  staffContext,
  staffEmails,
  suspendById,
} from "@ticketzero/core/license/backoffice";
import { LicenseError } from "@ticketzero/core/license/errors";
import { statusByKey } from "@ticketzero/core/license/license-status";
import { issueLicense, suspendLicense } from "@ticketzero/core/license/licenses";
import { usagePeriod } from "@ticketzero/core/license/status";
import { resetConfig } from "@ticketzero/core/server/config";
import { and, desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

const suffix = () => randomBytes(6).toString("hex");
const email = (what: string) => `bo-${what}-${suffix()}@example.test`;
const staff = { id: `test-staff-${suffix()}` };
const ctx = staffContext(staff);

async function auditRows(licenseId: string) {
  return getDb().select().from(auditEvents).where(eq(auditEvents.licenseId, licenseId)).orderBy(desc(auditEvents.id));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof LicenseError) return error.code;
    throw error;
  }
}

describe("isStaff", () => {
  it("is true for users.is_staff", () => {
    expect(isStaff({ email: "someone@example.test", isStaff: true }, "")).toBe(true);
  });
  it("is true for an email in STAFF_EMAILS, case-insensitively and trimmed", () => {
    const list = " Ops@Vendor.test , second@vendor.test,,";
    expect(isStaff({ email: "ops@vendor.test", isStaff: false }, list)).toBe(true);
    expect(isStaff({ email: "  SECOND@VENDOR.TEST ", isStaff: false }, list)).toBe(true);
    expect([...staffEmails(list)]).toEqual(["ops@vendor.test", "second@vendor.test"]);
  });
  it("is false otherwise", () => {
    expect(isStaff({ email: "customer@example.test", isStaff: false }, "ops@vendor.test")).toBe(false);
    expect(isStaff({ email: "ops@vendor.test.evil", isStaff: false }, "ops@vendor.test")).toBe(false);
    expect(isStaff({ email: "", isStaff: false }, "")).toBe(false);
    expect(isStaff({ email: null, isStaff: null }, ",,")).toBe(false);
    expect(isStaff(null, "ops@vendor.test")).toBe(false);
  });
  it("reads STAFF_EMAILS from the environment by default", () => {
    const before = process.env.STAFF_EMAILS;
    process.env.STAFF_EMAILS = "env-staff@vendor.test";
    resetConfig();
    try {
      expect(isStaff({ email: "ENV-staff@vendor.test" })).toBe(true);
      expect(isStaff({ email: "other@vendor.test" })).toBe(false);
    } finally {
      if (before === undefined) delete process.env.STAFF_EMAILS;
      else process.env.STAFF_EMAILS = before;
      resetConfig();
    }
  });
});

describe("setCustomLimits", () => {
  it("changes the limits statusByKey reports, and audits the change", async () => {
    const { license, key } = await issueLicense({ plan: "enterprise", email: email("limits") }, { actor: "test" });
    const result = await setCustomLimits(
      license.id,
      { maxClients: "120", maxTicketsPerMonth: 80_000, maxActivations: 40 },
      ctx,
    );
    expect(result.warnings).toEqual([]);
    const status = await statusByKey(key, null);
    expect(status.limits).toEqual({ maxClients: 120, maxTicketsPerMonth: 80_000, maxActivations: 40 });
    const [event] = await auditRows(license.id);
    expect(event).toMatchObject({ action: "license.limits_changed", actor: `staff:${staff.id}` });
    expect(event!.detail).toMatchObject({
      from: { maxClients: 50, maxTicketsPerMonth: 25_000, maxActivations: 25 },
      to: { maxClients: 120, maxTicketsPerMonth: 80_000, maxActivations: 40 },
    });
  });

  it("allows lowering maxActivations below the installations, with a warning", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: email("lower") }, { actor: "test" });
    for (const id of ["a", "b", "c"])
      await activateLicense({ licenseKey: key, instanceId: `bo-${id}` }, { actor: "test" });
    const result = await setCustomLimits(
      license.id,
      { maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 1 },
      ctx,
    );
    expect(result.license.maxActivations).toBe(1);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/3 installations/);
    const status = await statusByKey(key, "bo-a");
    expect(status.valid).toBe(true);
    expect(status.warnings.map((w) => w.code)).toContain("ACTIVATIONS_ALL_USED");
    expect(await codeOf(activateLicense({ licenseKey: key, instanceId: "bo-d" }, { actor: "test" }))).toBe(
      "ACTIVATION_LIMIT_REACHED",
    );
  });

  it("refuses anything but positive whole numbers, and changes nothing", async () => {
    const { license } = await issueLicense({ plan: "starter", email: email("bad") }, { actor: "test" });
    for (const bad of [0, -1, 1.5, "ten", "", null, Number.NaN, 10 ** 12]) {
      expect(
        await codeOf(setCustomLimits(license.id, { maxClients: bad, maxTicketsPerMonth: 10, maxActivations: 1 }, ctx)),
      ).toBe("VALIDATION_FAILED");
    }
    const [row] = await getDb().select().from(licenses).where(eq(licenses.id, license.id));
    expect(row!.maxClients).toBe(5);
    expect(await auditRows(license.id)).toHaveLength(1); // only license.issued
    expect(
      await codeOf(
        setCustomLimits(
          "00000000-0000-4000-8000-000000000000",
          { maxClients: 1, maxTicketsPerMonth: 1, maxActivations: 1 },
          ctx,
        ),
      ),
    ).toBe("LICENSE_NOT_FOUND");
    expect(
      await codeOf(setCustomLimits("not-a-uuid", { maxClients: 1, maxTicketsPerMonth: 1, maxActivations: 1 }, ctx)),
    ).toBe("LICENSE_NOT_FOUND");
  });
});

describe("suspend / revoke / reinstate / extend by id", () => {
  it("suspend then reinstate changes the status and writes audit rows", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: email("suspend") }, { actor: "test" });
    await suspendById(license.id, ctx, "unpaid invoice");
    let status = await statusByKey(key, null);
    expect(status.code).toBe("LICENSE_SUSPENDED");
    expect(status.valid).toBe(false);
    await reinstateById(license.id, ctx);
    status = await statusByKey(key, null);
    expect(status.code).toBe("VALID");
    const rows = await auditRows(license.id);
    expect(rows.slice(0, 2).map((r) => [r.action, r.actor])).toEqual([
      ["license.reinstated", `staff:${staff.id}`],
      ["license.suspended", `staff:${staff.id}`],
    ]);
    expect(rows[1]!.detail).toMatchObject({ from: "active", reason: "unpaid invoice" });
    expect(rows[0]!.detail).toMatchObject({ from: "suspended" });
  });

  it("revoke makes the key invalid; a change from the wrong state is a CONFLICT that changes nothing", async () => {
    const { license, key } = await issueLicense({ plan: "starter", email: email("revoke") }, { actor: "test" });
    await revokeById(license.id, ctx);
    expect((await statusByKey(key, null)).code).toBe("LICENSE_REVOKED");
    expect(await codeOf(suspendById(license.id, ctx))).toBe("CONFLICT");
    expect(await codeOf(revokeById(license.id, ctx))).toBe("CONFLICT");
    expect((await statusByKey(key, null)).code).toBe("LICENSE_REVOKED");
    const rows = await auditRows(license.id);
    expect(rows.filter((r) => r.action === "license.revoked")).toHaveLength(1);
    // The by-key exports keep working on the same shared code.
    const other = await issueLicense({ plan: "starter", email: email("bykey") }, { actor: "test" });
    await suspendLicense(other.key, { actor: "cli" });
    expect((await statusByKey(other.key, null)).code).toBe("LICENSE_SUSPENDED");
    expect(await codeOf(reinstateById("00000000-0000-4000-8000-000000000000", ctx))).toBe("LICENSE_NOT_FOUND");
  });

  it("extend adds days to the expiry (or to now when expired) and audits it", async () => {
    const now = Date.now();
    const { license, key } = await issueLicense(
      { plan: "professional", email: email("extend"), expiresAt: new Date(now + 10 * 86_400_000) },
      { actor: "test" },
    );
    expect((await statusByKey(key, null)).status).toBe("expiring_soon");
    const extended = await extendById(license.id, "60", ctx);
    expect(extended.expiresAt.getTime()).toBe(license.expiresAt.getTime() + 60 * 86_400_000);
    expect((await statusByKey(key, null)).status).toBe("valid");
    const [event] = await auditRows(license.id);
    expect(event).toMatchObject({ action: "license.extended", actor: `staff:${staff.id}` });

    const expired = await issueLicense(
      { plan: "starter", email: email("expired"), expiresAt: new Date(now - 5 * 86_400_000) },
      { actor: "test" },
    );
    expect((await statusByKey(expired.key, null)).status).toBe("expired");
    const revived = await extendById(expired.license.id, 30, ctx);
    expect(revived.expiresAt.getTime()).toBeGreaterThan(now + 29 * 86_400_000);
    expect((await statusByKey(expired.key, null)).status).toBe("expiring_soon");

    for (const bad of [0, -3, 2.5, "x", 5000])
      expect(await codeOf(extendById(license.id, bad, ctx))).toBe("VALIDATION_FAILED");
  });
});

describe("searchLicenses", () => {
  it("finds exactly the license of a full key (any case, whitespace), by its hash", async () => {
    const company = `Searchco ${suffix()}`;
    const a = await issueLicense({ plan: "professional", email: email("search"), company }, { actor: "test" });
    await issueLicense({ plan: "professional", email: email("search"), company }, { actor: "test" });
    const result = await searchLicenses({ q: `  ${a.key.toLowerCase()} ` });
    expect(result.matchedBy).toBe("key");
    expect(result.items.map((i) => i.id)).toEqual([a.license.id]);
    expect(result.items[0]!.keyMasked).toBe(a.license.keyMasked);
    // A partial key is never matched (no LIKE on keys).
    const partial = await searchLicenses({ q: a.key.slice(0, 12) });
    expect(partial.items).toEqual([]);
    expect(partial.notice).toMatch(/full key/);
    // A well-formed key that does not exist finds nothing.
    const missing = await searchLicenses({ q: "TZ-PRO-0000-0000-0000-0000" });
    expect(missing.items).toEqual([]);
  });

  it("matches email and company text, filters by plan and status, and counts activations", async () => {
    const company = `Filterco ${suffix()}`;
    const pro = await issueLicense({ plan: "professional", email: email("f1"), company }, { actor: "test" });
    const trial = await issueLicense({ plan: "trial", email: email("f2"), company }, { actor: "test" });
    const sus = await issueLicense({ plan: "professional", email: email("f3"), company }, { actor: "test" });
    await suspendById(sus.license.id, ctx);
    await activateLicense({ licenseKey: pro.key, instanceId: "bo-search-1" }, { actor: "test" });

    const all = await searchLicenses({ q: company.toUpperCase() });
    expect(all.total).toBe(3);
    expect(new Set(all.items.map((i) => i.id))).toEqual(new Set([pro.license.id, trial.license.id, sus.license.id]));
    expect(all.items.find((i) => i.id === pro.license.id)).toMatchObject({
      activationCount: 1,
      maxActivations: 5,
      status: "valid",
    });

    expect((await searchLicenses({ q: company, plan: "trial" })).items.map((i) => i.id)).toEqual([trial.license.id]);
    expect((await searchLicenses({ q: company, status: "suspended" })).items.map((i) => i.id)).toEqual([
      sus.license.id,
    ]);
    expect((await searchLicenses({ q: company, status: "trial" })).items.map((i) => i.id)).toEqual([trial.license.id]);
    expect((await searchLicenses({ q: pro.license.email })).items.map((i) => i.id)).toEqual([pro.license.id]);
    // Unknown filter values are ignored, not errors.
    expect((await searchLicenses({ q: company, plan: "gold", status: "weird" })).total).toBe(3);
  });

  it("treats a SQL-looking or wildcard query as plain text", async () => {
    const { license } = await issueLicense({ plan: "starter", email: email("sqli") }, { actor: "test" });
    for (const q of ["' or 1=1 --", "%", "_", "\\", "'; drop table licenses; --", "x%' or '1'='1"]) {
      const result = await searchLicenses({ q });
      expect(result.items.every((i) => i.email.includes(q) || (i.company ?? "").includes(q))).toBe(true);
    }
    const [still] = await getDb().select().from(licenses).where(eq(licenses.id, license.id));
    expect(still).toBeDefined();
  });

  it("paginates", async () => {
    const company = `Pageco ${suffix()}`;
    for (let i = 0; i < 27; i++)
      await issueLicense({ plan: "trial", email: email(`p${i}`), company }, { actor: "test" });
    const first = await searchLicenses({ q: company, page: 1 });
    const second = await searchLicenses({ q: company, page: 2 });
    expect(first.total).toBe(27);
    expect(first.pageCount).toBe(2);
    expect(first.items).toHaveLength(25);
    expect(second.items).toHaveLength(2);
    expect(new Set([...first.items, ...second.items].map((i) => i.id)).size).toBe(27);
    expect((await searchLicenses({ q: company, page: 99 })).page).toBe(2);
  });
});

describe("issueCustom and licenseDetail", () => {
  it("issues with custom limits on the buyer's account and shows the key once", async () => {
    const to = email("issue");
    const { license, key } = await issueCustom(
      {
        plan: "enterprise",
        email: `  ${to.toUpperCase()} `,
        company: "Big MSP",
        days: "90",
        limits: { maxClients: "200", maxTicketsPerMonth: "", maxActivations: 60 },
      },
      ctx,
    );
    expect(key).toMatch(/^TZ-ENT-/);
    expect(license).toMatchObject({
      email: to,
      company: "Big MSP",
      maxClients: 200,
      maxTicketsPerMonth: 25_000,
      maxActivations: 60,
    });
    expect(license.teamId).toBeTruthy();
    const status = await statusByKey(key, null);
    expect(status.limits).toEqual({ maxClients: 200, maxTicketsPerMonth: 25_000, maxActivations: 60 });
    expect(status.license?.daysRemaining).toBe(90);

    const detail = await licenseDetail(license.id);
    expect(detail?.accountEmail).toBe(to);
    expect(detail?.status.code).toBe("VALID");
    expect(detail?.audit[0]).toMatchObject({ action: "license.issued", actor: `staff:${staff.id}` });
    expect(JSON.stringify(detail?.audit)).not.toContain(key);

    for (const bad of [
      { plan: "gold", email: to, days: 30 },
      { plan: "starter", email: "not-an-email", days: 30 },
      { plan: "starter", email: to, days: 0 },
      { plan: "starter", email: to, days: 30, limits: { maxClients: -1 } },
    ]) {
      expect(await codeOf(issueCustom(bad, ctx))).toBe("VALIDATION_FAILED");
    }
  });

  it("licenseDetail returns null for an unknown id, and lists usage, payments and audit newest first", async () => {
    expect(await licenseDetail("00000000-0000-4000-8000-000000000000")).toBeNull();
    expect(await licenseDetail("nope")).toBeNull();
    const { license } = await issueLicense({ plan: "professional", email: email("detail") }, { actor: "test" });
    await getDb()
      .insert(usageMonths)
      .values({ licenseId: license.id, period: usagePeriod(new Date()), tickets: 321 });
    await getDb()
      .insert(payments)
      .values({
        checkoutSessionId: `cs_test_bo_${suffix()}`,
        licenseId: license.id,
        plan: "professional",
        email: license.email,
        amountCents: 450_000,
        mode: "test",
      });
    await suspendById(license.id, ctx);
    const detail = await licenseDetail(license.id);
    expect(detail?.usage.at(-1)).toEqual({ period: usagePeriod(new Date()), tickets: 321 });
    expect(detail?.payments).toHaveLength(1);
    expect(detail?.payments[0]).toMatchObject({ amountCents: 450_000, kind: "purchase" });
    expect(detail?.audit.map((a) => a.action).slice(0, 2)).toEqual(["license.suspended", "license.issued"]);
    expect(detail?.status.code).toBe("LICENSE_SUSPENDED");
  });
});

describe("auditLog", () => {
  it("filters by action", async () => {
    const { license } = await issueLicense({ plan: "starter", email: email("audit") }, { actor: "test" });
    await suspendById(license.id, ctx);
    const log = await auditLog({ action: "license.suspended", pageSize: 200 });
    expect(log.items.every((i) => i.action === "license.suspended")).toBe(true);
    expect(log.items.some((i) => i.licenseId === license.id && i.keyMasked === license.keyMasked)).toBe(true);
  });
});

describe("figures", () => {
  it("includes a payment, a new license, tickets and an activation (as deltas)", async () => {
    const now = new Date();
    const before = await figures(now);
    const who = email("figures");
    const trial = await issueLicense({ plan: "trial", email: who }, { actor: "test" });
    const paid = await issueLicense({ plan: "enterprise", email: who }, { actor: "test" });
    await activateLicense({ licenseKey: paid.key, instanceId: "bo-fig-1" }, { actor: "test" });
    await getDb()
      .insert(usageMonths)
      .values({ licenseId: paid.license.id, period: usagePeriod(now), tickets: 777 });
    await getDb()
      .insert(payments)
      .values({
        checkoutSessionId: `cs_test_bo_${suffix()}`,
        licenseId: paid.license.id,
        plan: "enterprise",
        email: who,
        amountCents: 123_456,
        mode: "test",
      });
    const after = await figures(new Date());
    const thisMonth = usagePeriod(now);
    const rev = (f: typeof before) => f.revenueByMonth.find((m) => m.period === thisMonth)!.value;
    expect(after.revenueByMonth).toHaveLength(12);
    expect(after.revenueByMonth.at(-1)!.period).toBe(thisMonth);
    expect(rev(after) - rev(before)).toBeGreaterThanOrEqual(123_456);
    expect(after.revenueLast12Cents - before.revenueLast12Cents).toBeGreaterThanOrEqual(123_456);
    expect(after.activeByPlan.enterprise - before.activeByPlan.enterprise).toBeGreaterThanOrEqual(1);
    expect(after.arrCents - before.arrCents).toBeGreaterThanOrEqual(7_500_00);
    expect(after.trialsActive - before.trialsActive).toBeGreaterThanOrEqual(1);
    expect(after.newByMonth.at(-1)!.paid - before.newByMonth.at(-1)!.paid).toBeGreaterThanOrEqual(1);
    expect(after.newByMonth.at(-1)!.trials - before.newByMonth.at(-1)!.trials).toBeGreaterThanOrEqual(1);
    expect(after.conversion.converted - before.conversion.converted).toBeGreaterThanOrEqual(1);
    expect(after.ticketsThisMonth - before.ticketsThisMonth).toBeGreaterThanOrEqual(777);
    expect(after.activationsTotal - before.activationsTotal).toBeGreaterThanOrEqual(1);
    expect(trial.license.plan).toBe("trial");

    const expiring = await issueLicense(
      { plan: "starter", email: email("soon"), expiresAt: new Date(Date.now() + 7 * 86_400_000) },
      { actor: "test" },
    );
    const later = await figures(new Date());
    expect(later.expiringIn30Days - after.expiringIn30Days).toBeGreaterThanOrEqual(1);
    const [row] = await getDb()
      .select()
      .from(licenses)
      .where(and(eq(licenses.id, expiring.license.id), eq(licenses.state, "active")));
    expect(row).toBeDefined();
  });
});
