/**
 * The back office's search by a key's last group and its customers (teams):
 * list with owner, members, licenses and revenue, search by name or email,
 * detail with members, licenses and payments; unclaimed licenses filter.
 */

import { randomBytes } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { payments, teamMembers, teams } from "@ticketzero/core/db/schema";
import {
  customerDetail,
  listCustomers,
  searchLicenses,
  staffContext,
  suspendById,
} from "@ticketzero/core/license/backoffice";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { ensureUser } from "@ticketzero/core/license/teams";
import { describe, expect, it } from "vitest";

const marker = `cus${randomBytes(5).toString("hex")}`;
const ctx = staffContext({ id: `test-staff-${marker}` });

let made = 0;
/** A team of two with a Professional (paid and renewed) and a suspended Starter; its own tag each call. */
async function teamWithLicenses() {
  const tag = `${marker}x${++made}`;
  const db = getDb();
  const owner = await ensureUser(db, `owner-${tag}@example.test`);
  const admin = await ensureUser(db, `admin-${tag}@example.test`);
  const [team] = await db
    .insert(teams)
    .values({ name: `Contoso ${tag}` })
    .returning();
  await db.insert(teamMembers).values([
    { teamId: team!.id, userId: owner.id, role: "owner" },
    { teamId: team!.id, userId: admin.id, role: "admin" },
  ]);
  const pro = await issueLicense({ plan: "professional", email: `owner-${tag}@example.test`, teamId: team!.id }, ctx);
  const starter = await issueLicense({ plan: "starter", email: `billing-${tag}@example.test`, teamId: team!.id }, ctx);
  await suspendById(starter.license.id, ctx, "chargeback");
  await db.insert(payments).values([
    {
      checkoutSessionId: `cs_${tag}_1`,
      licenseId: pro.license.id,
      plan: "professional",
      email: pro.license.email,
      amountCents: 149_900,
      mode: "test",
    },
    {
      checkoutSessionId: `in_${tag}_2`,
      licenseId: null,
      renewLicenseId: pro.license.id,
      kind: "renewal",
      plan: "professional",
      email: pro.license.email,
      amountCents: 149_900,
      mode: "test",
    },
  ]);
  return { team: team!, pro, starter, tag };
}

describe("search by key suffix", () => {
  it("finds a license by the last group of its key, by its masked key, and combines with filters", async () => {
    const { pro, starter, tag } = await teamWithLicenses();
    const suffix = pro.key.slice(-4);
    const bySuffix = await searchLicenses({ q: suffix.toLowerCase() });
    expect(bySuffix.matchedBy).toBe("suffix");
    expect(bySuffix.items.map((i) => i.id)).toContain(pro.license.id);

    const byMasked = await searchLicenses({ q: pro.license.keyMasked });
    expect(byMasked.items.map((i) => i.id)).toEqual([pro.license.id]);
    const byFullKey = await searchLicenses({ q: pro.key });
    expect(byFullKey).toMatchObject({ matchedBy: "key", total: 1 });

    // Combined: the suffix with another plan finds nothing; a partial key gives the notice, not a LIKE.
    expect((await searchLicenses({ q: suffix, plan: "starter" })).items.map((i) => i.id)).not.toContain(pro.license.id);
    const partial = await searchLicenses({ q: pro.key.slice(0, 12) });
    expect(partial.total).toBe(0);
    expect(partial.notice).toMatch(/last group/);

    const suspended = await searchLicenses({ q: tag, status: "suspended" });
    expect(suspended.items.map((i) => i.id)).toEqual([starter.license.id]);
  });

  it("lists unclaimed licenses (no team) apart", async () => {
    const trial = await issueLicense({ plan: "trial", email: `trial-${marker}@example.test` }, ctx);
    const result = await searchLicenses({ q: marker, unclaimed: true });
    expect(result.items.map((i) => i.id)).toEqual([trial.license.id]);
    expect(result.items[0]?.teamId).toBeNull();
  });
});

describe("customers", () => {
  it("lists a team with its owner, members, licenses by status and revenue (renewals included)", async () => {
    const { team, tag } = await teamWithLicenses();
    const byName = await listCustomers({ q: `contoso ${tag}` });
    const byMember = await listCustomers({ q: `admin-${tag}` });
    const byLicenseEmail = await listCustomers({ q: `billing-${tag}` });
    for (const result of [byName, byMember, byLicenseEmail]) expect(result.items.map((i) => i.id)).toContain(team.id);
    const row = byName.items.find((i) => i.id === team.id)!;
    expect(row).toMatchObject({
      name: `Contoso ${tag}`,
      ownerEmail: `owner-${tag}@example.test`,
      members: 2,
      licenses: 2,
      plans: ["starter", "professional"],
      statuses: { valid: 1, suspended: 1 },
      revenueCents: 299_800,
    });
    expect((await listCustomers({ q: `nobody-${marker}` })).total).toBe(0);
  });

  it("shows a customer's members, licenses and payments; an unknown id is null", async () => {
    const { team, pro, starter, tag } = await teamWithLicenses();
    const detail = (await customerDetail(team.id))!;
    expect(detail.members.map((m) => [m.email, m.role])).toEqual([
      [`owner-${tag}@example.test`, "owner"],
      [`admin-${tag}@example.test`, "admin"],
    ]);
    expect(detail.licenses.map((l) => l.id).sort()).toEqual([pro.license.id, starter.license.id].sort());
    expect(detail.payments.map((p) => p.kind).sort()).toEqual(["purchase", "renewal"]);
    expect(detail.payments.every((p) => p.keyMasked === pro.license.keyMasked)).toBe(true);
    expect(detail.revenueCents).toBe(299_800);
    expect(await customerDetail("00000000-0000-4000-8000-000000000000")).toBeNull();
    expect(await customerDetail("not-a-uuid")).toBeNull();
  });
});
