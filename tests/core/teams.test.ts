/**
 * The customer's account (license/teams.ts). Invariants:
 * - a public trial never changes what an existing account sees; only the
 *   address's owner can put it on an account;
 * - a paid license always outranks a trial in the Admin Panel;
 * - licenses issued by staff follow their email onto its owner's team;
 * - a team always keeps an owner, also when two owners demote each other at once;
 * - a removed member's access ends at once; a read-only member changes nothing.
 */
import { getDb } from "@ticketzero/core/db/client";
import { licenses, teamMembers } from "@ticketzero/core/db/schema";
import { issueCustom, staffContext } from "@ticketzero/core/license/backoffice";
import { LicenseError } from "@ticketzero/core/license/errors";
import { completeTestCheckout } from "@ticketzero/core/license/fulfilment";
import { accountLicense } from "@ticketzero/core/license/license-status";
import { issueLicense } from "@ticketzero/core/license/licenses";
import {
  acceptInvitation,
  changeMemberRole,
  claimableLicenses,
  claimLicenseByEmail,
  claimLicenseByKey,
  ensureUser,
  inviteMember,
  membersOf,
  removeMember,
  requireLicenseRole,
  setPrimaryLicense,
  teamForEmail,
} from "@ticketzero/core/license/teams";
import { startTrial } from "@ticketzero/core/license/trial";
import { readOutbox } from "@ticketzero/core/server/mail";
import { createCheckout } from "@ticketzero/core/stripe/checkout";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

const ctx = { actor: "test" };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof LicenseError) return error.code;
    throw error;
  }
}

/** Invited by an owner, and accepted (an invitation grants nothing before). */
async function join(ownerId: string, teamId: string, email: string, role: "owner" | "admin" | "viewer") {
  await inviteMember(ownerId, teamId, email, role, ctx);
  const user = await ensureUser(getDb(), email);
  await acceptInvitation(user.id, teamId, ctx);
  return user;
}

/** A customer with a paid license on their own team, as a purchase leaves them. */
async function payingCustomer(plan: "starter" | "professional" | "enterprise" = "enterprise") {
  const email = testEmail("paying");
  const { teamId, userId } = await getDb().transaction((tx) => teamForEmail(tx, email));
  const { license, key } = await issueLicense({ plan, email, teamId }, ctx);
  return { email, teamId, user: { id: userId, email }, license, key };
}

describe("trials cannot hijack an account", () => {
  it("a signed-out trial for a paying customer's address leaves their panel unchanged until they claim it", async () => {
    const customer = await payingCustomer();
    const before = await accountLicense(customer.user.id);
    expect(before.license?.id).toBe(customer.license.id);

    const { license: trial, claimed } = await startTrial(customer.email, { actor: "public" }, null);
    expect(claimed).toBe(false);
    expect(trial.teamId).toBeNull();
    const after = await accountLicense(customer.user.id);
    expect(after.license?.id).toBe(customer.license.id);
    expect(after.all.map((r) => r.license.id)).toEqual([customer.license.id]);
    expect((await claimableLicenses(customer.email)).map((l) => l.id)).toEqual([trial.id]);
    expect((await readOutbox({ to: customer.email })).some((m) => m.text.includes("Add to my account"))).toBe(true);

    // Claimed by the address's owner: on the account, yet the paid license still opens first.
    await claimLicenseByEmail(customer.user, trial.id, ctx);
    const claimedView = await accountLicense(customer.user.id);
    expect(claimedView.all).toHaveLength(2);
    expect(claimedView.license?.id).toBe(customer.license.id);
    expect(await claimableLicenses(customer.email)).toEqual([]);
  });

  it("a trial key seen on the public page cannot be claimed by anyone but its address's owner", async () => {
    const victim = testEmail("victim");
    const { key, license } = await startTrial(victim, { actor: "public" }, null);
    const stranger = await ensureUser(getDb(), testEmail("stranger"));
    expect(await codeOf(claimLicenseByKey(stranger, key, ctx))).toBe("LICENSE_OWNED_BY_ANOTHER_ACCOUNT");
    expect(await codeOf(claimLicenseByEmail({ id: stranger.id, email: testEmail("x") }, license.id, ctx))).toBe(
      "LICENSE_NOT_FOUND",
    );
    const [row] = await getDb().select().from(licenses).where(eq(licenses.id, license.id));
    expect(row!.teamId).toBeNull();

    const owner = await ensureUser(getDb(), victim);
    const { attached } = await claimLicenseByKey(owner, key, ctx);
    expect(attached).toBe(true);
  });

  it("a signed-in visitor starting a trial for their own address gets it on their account at once", async () => {
    const email = testEmail("self");
    const user = await ensureUser(getDb(), email);
    const { license, claimed } = await startTrial(email, { actor: `user:${user.id}` }, { id: user.id, email });
    expect(claimed).toBe(true);
    expect((await accountLicense(user.id)).license?.id).toBe(license.id);
  });

  it("a paid key claimed by key joins the claimer's team; another team's key is refused", async () => {
    const email = testEmail("gift");
    const { license, key } = await issueLicense({ plan: "professional", email, teamId: null }, ctx);
    const claimer = await ensureUser(getDb(), testEmail("claimer"));
    const first = await claimLicenseByKey(claimer, key, ctx);
    expect(first.attached).toBe(true);
    expect((await claimLicenseByKey(claimer, key, ctx)).attached).toBe(false); // again: nothing changes
    const other = await ensureUser(getDb(), testEmail("other"));
    expect(await codeOf(claimLicenseByKey(other, key, ctx))).toBe("LICENSE_OWNED_BY_ANOTHER_ACCOUNT");
    expect((await accountLicense(claimer.id)).license?.id).toBe(license.id);
  });
});

describe("licenses follow their email", () => {
  it("a staff-issued license appears on the team of its email's owner, created and invited if new", async () => {
    const email = testEmail("staff-issued");
    const { license } = await issueCustom(
      { plan: "enterprise", email, company: "Acme MSP", days: 365 },
      staffContext({ id: "test-staff" }),
    );
    expect(license.teamId).toBeTruthy();
    const [member] = await getDb().select().from(teamMembers).where(eq(teamMembers.teamId, license.teamId!));
    expect(member!.role).toBe("owner");
    expect((await accountLicense(member!.userId)).license?.id).toBe(license.id);
  });
});

describe("buying while signed in", () => {
  it("a signed-in admin of a team buys onto that team, whatever email is billed", async () => {
    const customer = await payingCustomer("starter");
    const adminEmail = testEmail("buyer-admin");
    const admin = await join(customer.user.id, customer.teamId, adminEmail, "admin");
    const billed = testEmail("billing");
    const { sessionId } = await createCheckout({ plan: "professional", email: billed, accountId: admin.id });
    const { license } = await completeTestCheckout(sessionId);
    expect(license.teamId).toBe(customer.teamId);
    expect(license.email).toBe(billed);
    // A read-only member's purchase goes to a team of their own, not the one they only read.
    const viewerEmail = testEmail("buyer-viewer");
    const viewer = await join(customer.user.id, customer.teamId, viewerEmail, "viewer");
    const second = await createCheckout({ plan: "starter", email: viewerEmail, accountId: viewer.id });
    const bought = await completeTestCheckout(second.sessionId);
    expect(bought.license.teamId).not.toBe(customer.teamId);
    expect((await requireLicenseRole(viewer.id, bought.license.id, "owner")).role).toBe("owner");
  });
});

describe("the primary license", () => {
  it("an admin's chosen primary opens first while usable; a viewer cannot choose", async () => {
    const customer = await payingCustomer("starter");
    const { license: second } = await issueLicense(
      { plan: "professional", email: customer.email, teamId: customer.teamId },
      ctx,
    );
    expect((await accountLicense(customer.user.id)).license?.id).toBe(second.id); // newest paid
    await setPrimaryLicense(customer.user.id, customer.license.id, ctx);
    expect((await accountLicense(customer.user.id)).license?.id).toBe(customer.license.id);

    const viewerEmail = testEmail("viewer");
    const viewer = await join(customer.user.id, customer.teamId, viewerEmail, "viewer");
    expect(await codeOf(setPrimaryLicense(viewer.id, second.id, ctx))).toBe("FORBIDDEN");
  });
});

describe("members", () => {
  it("an invited admin runs the license; a viewer only reads; removal ends access at once", async () => {
    const customer = await payingCustomer("professional");
    const adminEmail = testEmail("teammate");
    const viewerEmail = testEmail("reader");
    const admin = await join(customer.user.id, customer.teamId, adminEmail, "admin");
    const viewer = await join(customer.user.id, customer.teamId, viewerEmail, "viewer");
    expect((await readOutbox({ to: adminEmail })).some((m) => m.subject.includes("You are invited"))).toBe(true);

    expect((await requireLicenseRole(admin.id, customer.license.id, "admin")).role).toBe("admin");
    expect(await codeOf(requireLicenseRole(viewer.id, customer.license.id, "admin"))).toBe("FORBIDDEN");
    expect((await requireLicenseRole(viewer.id, customer.license.id, "viewer")).role).toBe("viewer");
    // Only owners manage members; a second invitation of the same address is refused.
    expect(await codeOf(inviteMember(admin.id, customer.teamId, testEmail("x"), "admin", ctx))).toBe("FORBIDDEN");
    expect(await codeOf(inviteMember(customer.user.id, customer.teamId, adminEmail, "viewer", ctx))).toBe("CONFLICT");

    await removeMember(customer.user.id, customer.teamId, viewer.id, ctx);
    expect(await codeOf(requireLicenseRole(viewer.id, customer.license.id, "viewer"))).toBe("LICENSE_NOT_FOUND");
    expect((await accountLicense(viewer.id)).license).toBeNull();
  });

  it("bad input is refused with a clear code and changes nothing", async () => {
    const customer = await payingCustomer("starter");
    for (const email of ["", "not-an-email", `${"a".repeat(250)}@x.io`, "'; drop table users; --@x.io", 42]) {
      expect(await codeOf(inviteMember(customer.user.id, customer.teamId, email, "admin", ctx))).toBe(
        "VALIDATION_FAILED",
      );
    }
    expect(await codeOf(inviteMember(customer.user.id, customer.teamId, testEmail("r"), "superuser", ctx))).toBe(
      "VALIDATION_FAILED",
    );
    expect(await codeOf(requireLicenseRole(customer.user.id, "not-a-uuid", "viewer"))).toBe("LICENSE_NOT_FOUND");
    expect(await membersOf(customer.teamId)).toHaveLength(1);
  });

  it("the last owner can be neither removed nor demoted, also when two owners demote each other at once", async () => {
    const customer = await payingCustomer("starter");
    expect(await codeOf(removeMember(customer.user.id, customer.teamId, customer.user.id, ctx))).toBe("CONFLICT");
    expect(await codeOf(changeMemberRole(customer.user.id, customer.teamId, customer.user.id, "admin", ctx))).toBe(
      "CONFLICT",
    );

    for (let round = 0; round < 5; round++) {
      const coEmail = testEmail("co-owner");
      const co = await join(customer.user.id, customer.teamId, coEmail, "owner");
      // Each owner demotes the other at the same moment: the team lock lets one through.
      const outcomes = await Promise.all([
        codeOf(changeMemberRole(customer.user.id, customer.teamId, co.id, "admin", ctx)),
        codeOf(changeMemberRole(co.id, customer.teamId, customer.user.id, "admin", ctx)),
      ]);
      expect(outcomes.filter((o) => o === "OK")).toHaveLength(1);
      const owners = await getDb()
        .select()
        .from(teamMembers)
        .where(and(eq(teamMembers.teamId, customer.teamId), eq(teamMembers.role, "owner")));
      expect(owners).toHaveLength(1);
      // Restore: the remaining owner makes the original owner the owner again and removes the co-owner.
      const remaining = owners[0]!.userId;
      if (remaining !== customer.user.id) {
        await changeMemberRole(remaining, customer.teamId, customer.user.id, "owner", ctx);
      }
      await removeMember(customer.user.id, customer.teamId, co.id, ctx);
    }
  });
});
