/**
 * Attacks on the account through invitations. Invariants: an invitation grants
 * nothing until accepted, and never makes the inviter's team the one that
 * licenses issued, bought or claimed for the invited address go to; a team the
 * customer merely joined never changes which license their panel opens on.
 */
import { getDb } from "@ticketzero/core/db/client";
import { teamMembers, teams } from "@ticketzero/core/db/schema";
import { issueCustom } from "@ticketzero/core/license/backoffice";
import { completeTestCheckout } from "@ticketzero/core/license/fulfilment";
import { accountLicense } from "@ticketzero/core/license/license-status";
import { issueLicense } from "@ticketzero/core/license/licenses";
import {
  acceptInvitation,
  declineInvitation,
  ensureUser,
  invitationsOf,
  inviteMember,
  membersOf,
  removeMember,
  requireLicenseRole,
  setPrimaryLicense,
  teamForEmail,
} from "@ticketzero/core/license/teams";
import { startTrial } from "@ticketzero/core/license/trial";
import { createCheckout } from "@ticketzero/core/stripe/checkout";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

const ctx = { actor: "test" };

async function attackerWithTeam() {
  const email = testEmail("attacker");
  const { teamId, userId } = await getDb().transaction((tx) => teamForEmail(tx, email));
  return { email, teamId, userId };
}

describe("invitations need consent and never capture an address", () => {
  it("a stranger who invites a new address as owner captures the licenses staff later issue to it", async () => {
    const attacker = await attackerWithTeam();
    const victimEmail = testEmail("prospect");
    await inviteMember(attacker.userId, attacker.teamId, victimEmail, "owner", ctx);

    // Later, staff issue the prospect a license (it "follows its email").
    const { license } = await issueCustom({ plan: "enterprise", email: victimEmail, days: 365 }, ctx);

    // Expected: on a team of the prospect's own, out of the attacker's reach.
    expect(license.teamId).not.toBe(attacker.teamId);
    await expect(requireLicenseRole(attacker.userId, license.id, "admin")).rejects.toThrow();
  });

  it("…and a purchase the prospect pays for, after which the stranger can remove them", async () => {
    const attacker = await attackerWithTeam();
    const victimEmail = testEmail("buyer");
    await inviteMember(attacker.userId, attacker.teamId, victimEmail, "owner", ctx);
    const victim = await ensureUser(getDb(), victimEmail);

    const { sessionId } = await createCheckout({ plan: "professional", email: victimEmail, accountId: victim.id });
    const { license } = await completeTestCheckout(sessionId);
    const stolen = await requireLicenseRole(attacker.userId, license.id, "admin").then(
      () => true,
      () => false,
    );
    if (stolen) {
      // The stranger owns the team holding the paid license: they can drop the payer.
      await removeMember(attacker.userId, attacker.teamId, victim.id, ctx);
    }
    expect(stolen).toBe(false);
  });

  it("an existing paying customer invited to a stranger's team still opens on their own paid license", async () => {
    const email = testEmail("paying");
    const customer = await getDb().transaction((tx) => teamForEmail(tx, email));
    const paid = await issueLicense({ plan: "enterprise", email, teamId: customer.teamId }, ctx);
    expect((await accountLicense(customer.userId)).license?.id).toBe(paid.license.id);

    const attacker = await attackerWithTeam();
    const { license: trial } = await startTrial(
      attacker.email,
      { actor: "test" },
      { id: attacker.userId, email: attacker.email },
    );
    await setPrimaryLicense(attacker.userId, trial.id, ctx);
    await inviteMember(attacker.userId, attacker.teamId, email, "viewer", ctx);

    const after = await accountLicense(customer.userId);
    expect(after.license?.plan).toBe("enterprise");
    expect(after.license?.id).toBe(paid.license.id);
    expect(after.all).toHaveLength(1); // the invitation is not accepted: the stranger's trial is not even listed

    // Even accepted, the stranger's trial primary does not outrank the customer's paid license.
    await acceptInvitation(customer.userId, attacker.teamId, ctx);
    const accepted = await accountLicense(customer.userId);
    expect(accepted.all).toHaveLength(2);
    expect(accepted.license?.id).toBe(paid.license.id);
  });

  it("an invitation grants nothing until accepted; declined, it is gone", async () => {
    const owner = await attackerWithTeam();
    const { license } = await issueLicense({ plan: "starter", email: owner.email, teamId: owner.teamId }, ctx);
    const inviteeEmail = testEmail("invitee");
    await inviteMember(owner.userId, owner.teamId, inviteeEmail, "admin", ctx);
    const invitee = await ensureUser(getDb(), inviteeEmail);
    await expect(requireLicenseRole(invitee.id, license.id, "viewer")).rejects.toMatchObject({
      code: "LICENSE_NOT_FOUND",
    });
    expect((await invitationsOf(invitee.id)).map((i) => i.teamId)).toEqual([owner.teamId]);
    await acceptInvitation(invitee.id, owner.teamId, ctx);
    expect((await requireLicenseRole(invitee.id, license.id, "admin")).role).toBe("admin");

    const other = testEmail("decliner");
    await inviteMember(owner.userId, owner.teamId, other, "viewer", ctx);
    const decliner = await ensureUser(getDb(), other);
    await declineInvitation(decliner.id, owner.teamId, ctx);
    expect(await invitationsOf(decliner.id)).toEqual([]);
    await expect(acceptInvitation(decliner.id, owner.teamId, ctx)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("role checked before the team lock", () => {
  it("an owner demoted while their invitation waits cannot add an owner", async () => {
    const ownerEmail = testEmail("owner");
    const { teamId, userId: owner } = await getDb().transaction((tx) => teamForEmail(tx, ownerEmail));
    const second = await ensureUser(getDb(), testEmail("second"));
    await getDb().insert(teamMembers).values({ teamId, userId: second.id, role: "owner", acceptedAt: new Date() });
    const friend = testEmail("friend");

    let pending: Promise<unknown> | undefined;
    // The other owner's demotion of `second` holds the team lock (as changeMemberRole does)...
    await getDb().transaction(async (tx) => {
      await tx.select().from(teams).where(eq(teams.id, teamId)).for("update");
      // ...while `second` (still an owner at this instant) invites a friend as owner.
      pending = inviteMember(second.id, teamId, friend, "owner", ctx).catch((e) => e);
      await new Promise((r) => setTimeout(r, 300));
      await tx
        .update(teamMembers)
        .set({ role: "viewer" })
        .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, second.id)));
    });
    const outcome = await pending;
    const members = await membersOf(teamId);
    expect(outcome).toMatchObject({ code: "FORBIDDEN" });
    expect(members.find((m) => m.userId === owner)?.role).toBe("owner");
    expect(members.find((m) => m.email === friend)).toBeUndefined();
  });
});
