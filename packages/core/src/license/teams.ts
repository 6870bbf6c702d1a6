/**
 * Teams: the customer's account. A team holds licenses and the people who run
 * them; a person may belong to several teams, with one role in each:
 *
 * - owner: everything, including members and billing; a team always keeps one.
 * - admin: runs the licenses (activate, deactivate, reveal keys, upgrade, renew, billing).
 * - viewer: reads status, usage and installations; changes nothing.
 *
 * Every page, server action and route asks `requireLicenseRole` / `requireTeamRole`
 * on each request, from the database: removing a member ends their access at once.
 * An invitation grants nothing until the invited person signs in and accepts it
 * (`accepted_at`): nobody can put their team, or its licenses, in someone's way.
 */
import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { type DbOrTx, getDb, type Tx } from "../db/client";
import { licenses, teamMembers, teams, users } from "../db/schema";
import { config } from "../server/config";
import { sendMail } from "../server/mail";
import { type Context, recordAudit } from "./audit";
import { LicenseError } from "./errors";
import { findByKey, type IssueInput, issueLicense, type LicenseRow, normaliseEmail } from "./licenses";
import { mailLicenseKey } from "./notify";
import { PLANS } from "./plans";

export const ROLES = ["owner", "admin", "viewer"] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);
const RANK: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };
export const ROLE_WORDS: Record<Role, string> = { owner: "Owner", admin: "Admin", viewer: "Read-only" };

/** True when `role` may do what `min` may. */
export function roleAtLeast(role: Role | null | undefined, min: Role): boolean {
  return Boolean(role) && RANK[role!] >= RANK[min];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const forbidden = (message: string) => new LicenseError("FORBIDDEN", message);

// ---------------------------------------------------------------- people and their teams

/** The user for an email, created if needed (they sign in with a magic link to it). */
export async function ensureUser(
  db: DbOrTx,
  email: string,
  company?: string | null,
): Promise<{ id: string; created: boolean }> {
  const normalised = normaliseEmail(email);
  const [created] = await db
    .insert(users)
    .values({ email: normalised, company: company ?? null })
    .onConflictDoNothing({ target: users.email })
    .returning({ id: users.id });
  if (created) return { id: created.id, created: true };
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, normalised));
  return { id: existing!.id, created: false };
}

/** A membership that counts: accepted (the team's creator's is accepted at once). */
const accepted = isNotNull(teamMembers.acceptedAt);

/**
 * The team a user created (their first), created on first need: never a team
 * someone invited them into, so licenses issued to their address stay theirs.
 * Serialised per user (advisory lock) so two concurrent first purchases make one team.
 */
export async function personalTeamOf(tx: Tx, userId: string): Promise<string> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`team-of:${userId}`}))`);
  const [owned] = await tx
    .select({ id: teamMembers.teamId })
    .from(teamMembers)
    .where(and(eq(teamMembers.userId, userId), eq(teamMembers.role, "owner"), isNull(teamMembers.invitedBy), accepted))
    .orderBy(asc(teamMembers.createdAt))
    .limit(1);
  if (owned) return owned.id;
  const [user] = await tx
    .select({ email: users.email, company: users.company })
    .from(users)
    .where(eq(users.id, userId));
  const [team] = await tx
    .insert(teams)
    .values({ name: user?.company || user?.email || "My team" })
    .returning({ id: teams.id });
  await tx.insert(teamMembers).values({ teamId: team!.id, userId, role: "owner", acceptedAt: new Date() });
  return team!.id;
}

/**
 * Licenses follow their email: the team of the email's owner (user and team
 * created if needed). `invited` is true when the person is new, so the caller's
 * mail tells them to sign in.
 */
export async function teamForEmail(
  tx: Tx,
  email: string,
  company?: string | null,
): Promise<{ teamId: string; userId: string; invited: boolean }> {
  const user = await ensureUser(tx, email, company);
  return { teamId: await personalTeamOf(tx, user.id), userId: user.id, invited: user.created };
}

/** Every team the user belongs to, with their role. */
export async function membershipsOf(userId: string, db: DbOrTx = getDb()) {
  return db
    .select({ teamId: teams.id, name: teams.name, role: teamMembers.role, primaryLicenseId: teams.primaryLicenseId })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(and(eq(teamMembers.userId, userId), accepted))
    .orderBy(asc(teamMembers.createdAt)) as Promise<
    { teamId: string; name: string; role: Role; primaryLicenseId: string | null }[]
  >;
}

export async function roleInTeam(userId: string, teamId: string, db: DbOrTx = getDb()): Promise<Role | null> {
  if (!UUID.test(teamId)) return null;
  const [row] = await db
    .select({ role: teamMembers.role })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId), accepted));
  return row && isRole(row.role) ? row.role : null;
}

/** Throws FORBIDDEN unless the user has at least `min` in the team. */
export async function requireTeamRole(userId: string, teamId: string, min: Role, db: DbOrTx = getDb()): Promise<Role> {
  const role = await roleInTeam(userId, teamId, db);
  if (!role) throw new LicenseError("NOT_FOUND", "That team was not found on your account.");
  if (!roleAtLeast(role, min)) throw forbidden(needs(min));
  return role;
}

const needs = (min: Role) =>
  min === "owner"
    ? "Only an owner of this team can do that."
    : "Your role on this team is read-only. Ask an owner or admin to do this, or to change your role.";

export type LicenseAccess = { license: LicenseRow; role: Role; teamId: string };

/**
 * The license, if the user's role on its team is at least `min`. A license on
 * no team of theirs is LICENSE_NOT_FOUND (not a hint that it exists).
 */
export async function requireLicenseRole(
  userId: string,
  licenseId: unknown,
  min: Role,
  db: DbOrTx = getDb(),
): Promise<LicenseAccess> {
  if (typeof licenseId !== "string" || !UUID.test(licenseId)) {
    throw new LicenseError("LICENSE_NOT_FOUND", "That license is not on your account.");
  }
  const [row] = await db
    .select({ license: licenses, role: teamMembers.role })
    .from(licenses)
    .innerJoin(teamMembers, and(eq(teamMembers.teamId, licenses.teamId), eq(teamMembers.userId, userId), accepted))
    .where(eq(licenses.id, licenseId));
  if (!row || !isRole(row.role)) throw new LicenseError("LICENSE_NOT_FOUND", "That license is not on your account.");
  if (!roleAtLeast(row.role, min)) throw forbidden(needs(min));
  return { license: row.license, role: row.role, teamId: row.license.teamId! };
}

export type AccessibleLicense = { license: LicenseRow; role: Role; teamId: string; teamName: string; primary: boolean };

/** Every license on the user's teams, newest first, with the user's role on each. */
export async function licensesOfUser(userId: string, db: DbOrTx = getDb()): Promise<AccessibleLicense[]> {
  const rows = await db
    .select({ license: licenses, role: teamMembers.role, teamName: teams.name, primaryId: teams.primaryLicenseId })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .innerJoin(licenses, eq(licenses.teamId, teams.id))
    .where(and(eq(teamMembers.userId, userId), accepted))
    .orderBy(desc(licenses.issuedAt));
  return rows.map((r) => ({
    license: r.license,
    role: isRole(r.role) ? r.role : "viewer",
    teamId: r.license.teamId!,
    teamName: r.teamName,
    primary: r.primaryId === r.license.id,
  }));
}

// ---------------------------------------------------------------- claiming

/** Licenses issued to the user's email that no team holds yet (public trials): theirs to claim. */
export async function claimableLicenses(email: string, db: DbOrTx = getDb()): Promise<LicenseRow[]> {
  return db
    .select()
    .from(licenses)
    .where(and(eq(licenses.email, normaliseEmail(email)), isNull(licenses.teamId)))
    .orderBy(desc(licenses.issuedAt));
}

/** Puts an unowned license on a team, inside the caller's transaction (row locked by the caller or here). */
export async function attachToTeam(tx: Tx, row: LicenseRow, teamId: string, ctx: Context): Promise<void> {
  if (row.teamId === teamId) return;
  if (row.teamId) {
    throw new LicenseError("LICENSE_OWNED_BY_ANOTHER_ACCOUNT", "This license belongs to another account.");
  }
  const [updated] = await tx
    .update(licenses)
    .set({ teamId, updatedAt: new Date() })
    .where(and(eq(licenses.id, row.id), isNull(licenses.teamId)))
    .returning({ id: licenses.id });
  if (!updated) throw new LicenseError("LICENSE_OWNED_BY_ANOTHER_ACCOUNT", "This license belongs to another account.");
  await recordAudit(tx, { ...ctx, teamId }, { licenseId: row.id, action: "license.attached", detail: { teamId } });
}

/**
 * Whether holding the key proves a right to an unowned license. A paid key is
 * only ever shown to its buyer and its team; a trial key is shown to whoever
 * typed the address on the public trial page, so only that address's owner
 * may claim a trial.
 */
async function keyProvesClaim(tx: Tx, row: LicenseRow, userId: string): Promise<boolean> {
  if (row.plan !== "trial") return true;
  const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return Boolean(user?.email) && normaliseEmail(user!.email!) === row.email;
}

/**
 * A signed-in user activating through the JSON API: an unowned license joins
 * their own team (a trial only their own address's); one on a team of theirs
 * stays; another team's is refused.
 */
export async function attachForUser(tx: Tx, row: LicenseRow, userId: string, ctx: Context): Promise<void> {
  if (row.teamId) {
    if (await roleInTeam(userId, row.teamId, tx)) return;
    throw new LicenseError("LICENSE_OWNED_BY_ANOTHER_ACCOUNT", "This license belongs to another account.");
  }
  if (!(await keyProvesClaim(tx, row, userId))) return;
  await attachToTeam(tx, row, await personalTeamOf(tx, userId), ctx);
}

/**
 * The team a signed-in user's key or claim goes to: `teamId` when given (they
 * must be an admin there), else their own team (created if needed).
 */
async function targetTeam(tx: Tx, userId: string, teamId?: string | null): Promise<string> {
  if (teamId) {
    await requireTeamRole(userId, teamId, "admin", tx);
    return teamId;
  }
  return personalTeamOf(tx, userId);
}

/**
 * "Add a license key" in the Admin Panel: the key is the credential. An
 * unowned license joins the team; one already on a team of the user's is
 * fine; another team's is refused. Uses no installation slot.
 */
export async function claimLicenseByKey(
  user: { id: string },
  rawKey: unknown,
  ctx: Context,
  teamId?: string | null,
): Promise<{ license: LicenseRow; attached: boolean }> {
  const userId = user.id;
  return getDb().transaction(async (tx) => {
    const row = await findByKey(rawKey, tx, true);
    if (row.teamId) {
      const role = await roleInTeam(userId, row.teamId, tx);
      if (!role) throw new LicenseError("LICENSE_OWNED_BY_ANOTHER_ACCOUNT", "This license belongs to another account.");
      return { license: row, attached: false };
    }
    if (!(await keyProvesClaim(tx, row, userId))) {
      throw new LicenseError(
        "LICENSE_OWNED_BY_ANOTHER_ACCOUNT",
        "This trial was started for another email address. Sign in with that address to add it to its account.",
      );
    }
    const team = await targetTeam(tx, userId, teamId);
    await attachToTeam(tx, row, team, ctx);
    return { license: { ...row, teamId: team }, attached: true };
  });
}

/** Claims a license issued to the user's own email address (no key needed: the email is the proof). */
export async function claimLicenseByEmail(
  user: { id: string; email: string },
  licenseId: unknown,
  ctx: Context,
  teamId?: string | null,
): Promise<LicenseRow> {
  if (typeof licenseId !== "string" || !UUID.test(licenseId)) {
    throw new LicenseError("LICENSE_NOT_FOUND", "That license is not waiting for you.");
  }
  return getDb().transaction(async (tx) => {
    const [row] = await tx.select().from(licenses).where(eq(licenses.id, licenseId)).for("update");
    if (!row || row.email !== normaliseEmail(user.email)) {
      throw new LicenseError("LICENSE_NOT_FOUND", "That license is not waiting for you.");
    }
    const team = await targetTeam(tx, user.id, teamId);
    await attachToTeam(tx, row, team, ctx);
    return { ...row, teamId: team };
  });
}

/** An admin's choice of the license the Admin Panel opens on. */
export async function setPrimaryLicense(userId: string, licenseId: unknown, ctx: Context): Promise<void> {
  const { license, teamId } = await requireLicenseRole(userId, licenseId, "admin");
  await getDb().transaction(async (tx) => {
    await tx.update(teams).set({ primaryLicenseId: license.id }).where(eq(teams.id, teamId));
    await recordAudit(tx, { ...ctx, teamId }, { licenseId: license.id, action: "team.primary_license_set" });
  });
}

// ---------------------------------------------------------------- members

export type TeamMember = {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  since: Date;
  /** Invited, not accepted yet: no access until then. */
  pending: boolean;
};

export async function membersOf(teamId: string, db: DbOrTx = getDb()): Promise<TeamMember[]> {
  const rows = await db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: teamMembers.role,
      since: teamMembers.createdAt,
      acceptedAt: teamMembers.acceptedAt,
    })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(asc(teamMembers.createdAt));
  return rows.map(({ acceptedAt, ...r }) => ({
    ...r,
    email: r.email ?? "",
    role: isRole(r.role) ? r.role : "viewer",
    since: acceptedAt ?? r.since,
    pending: acceptedAt === null,
  }));
}

/** Locks the team row: member changes on one team run one at a time, so "the last owner" is exact. */
async function lockTeam(tx: Tx, teamId: string): Promise<{ id: string; name: string }> {
  const [team] = await tx
    .select({ id: teams.id, name: teams.name })
    .from(teams)
    .where(eq(teams.id, teamId))
    .for("update");
  if (!team) throw new LicenseError("NOT_FOUND", "That team was not found.");
  return team;
}

async function ownerCount(tx: Tx, teamId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.role, "owner"), accepted));
  return row?.n ?? 0;
}

/** A member's role, accepted or still invited (owners manage both); `lastOwner`: the team's only accepted owner. */
async function memberRole(tx: Tx, teamId: string, userId: string): Promise<{ role: Role; lastOwner: boolean } | null> {
  const [row] = await tx
    .select({ role: teamMembers.role, acceptedAt: teamMembers.acceptedAt })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
  if (!row || !isRole(row.role)) return null;
  const lastOwner = row.role === "owner" && row.acceptedAt !== null && (await ownerCount(tx, teamId)) <= 1;
  return { role: row.role, lastOwner };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An owner adds someone by email; they sign in with a magic link to that address. */
export async function inviteMember(
  byUserId: string,
  teamId: string,
  rawEmail: unknown,
  role: unknown,
  ctx: Context,
): Promise<TeamMember> {
  const email = typeof rawEmail === "string" ? normaliseEmail(rawEmail) : "";
  if (!EMAIL.test(email) || email.length > 254) {
    throw new LicenseError("VALIDATION_FAILED", "Enter a valid email address, like colleague@your-msp.com.");
  }
  if (!isRole(role)) throw new LicenseError("VALIDATION_FAILED", "Choose a role: owner, admin or read-only.");
  const { team, member, inviter } = await getDb().transaction(async (tx) => {
    const team = await lockTeam(tx, teamId); // first: a role changed meanwhile is seen below
    await requireTeamRole(byUserId, teamId, "owner", tx);
    const user = await ensureUser(tx, email);
    const [added] = await tx
      .insert(teamMembers)
      .values({ teamId, userId: user.id, role, invitedBy: byUserId })
      .onConflictDoNothing()
      .returning({ since: teamMembers.createdAt });
    if (!added)
      throw new LicenseError("CONFLICT", `${email} is already on this team.`, {
        details: { reason: "ALREADY_MEMBER" },
      });
    await recordAudit(tx, { ...ctx, teamId }, { action: "team.member_invited", detail: { email, role } });
    const [inviter] = await tx.select({ email: users.email }).from(users).where(eq(users.id, byUserId));
    return { team, member: { userId: user.id, email, name: null, role, since: added.since, pending: true }, inviter };
  });
  const url = config().publicUrl;
  await sendMail({
    to: email,
    subject: `You are invited to ${team.name} on the TicketZero License Portal`,
    text: [
      `${inviter?.email ?? "An owner"} invited you to ${team.name} as ${ROLE_WORDS[role].toLowerCase()}.`,
      "",
      `Sign in with this email address and accept the invitation to see its TicketZero licenses: ${url}/signin?email=${encodeURIComponent(email)}&callbackUrl=%2Fadmin%2Fteam`,
      "Nothing changes for you until you accept; if you don’t know this team, decline or ignore it.",
      "",
      "We send you a one-time sign-in link; there is no password to set.",
    ].join("\n"),
  }).catch((error) => console.error("[teams] invitation mail failed:", (error as Error)?.message));
  return member;
}

/** An owner changes a member's role; the team keeps at least one owner. */
export async function changeMemberRole(
  byUserId: string,
  teamId: string,
  memberId: unknown,
  role: unknown,
  ctx: Context,
): Promise<void> {
  if (typeof memberId !== "string" || !memberId) throw new LicenseError("VALIDATION_FAILED", "Choose a member.");
  if (!isRole(role)) throw new LicenseError("VALIDATION_FAILED", "Choose a role: owner, admin or read-only.");
  await getDb().transaction(async (tx) => {
    await lockTeam(tx, teamId); // first: a role changed meanwhile is seen below
    await requireTeamRole(byUserId, teamId, "owner", tx);
    const member = await memberRole(tx, teamId, memberId);
    if (!member) throw new LicenseError("NOT_FOUND", "That person is not on this team.");
    const current = member.role;
    if (current === role) return;
    if (member.lastOwner) {
      throw new LicenseError("CONFLICT", "A team needs an owner. Make someone else an owner first.", {
        details: { reason: "LAST_OWNER" },
      });
    }
    await tx
      .update(teamMembers)
      .set({ role })
      .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, memberId)));
    await recordAudit(
      tx,
      { ...ctx, teamId },
      { action: "team.role_changed", detail: { userId: memberId, from: current, to: role } },
    );
  });
}

/** An owner removes a member (or anyone leaves); never the last owner. Access ends at once. */
export async function removeMember(byUserId: string, teamId: string, memberId: unknown, ctx: Context): Promise<void> {
  if (typeof memberId !== "string" || !memberId) throw new LicenseError("VALIDATION_FAILED", "Choose a member.");
  await getDb().transaction(async (tx) => {
    await lockTeam(tx, teamId); // first: a role changed meanwhile is seen below
    if (memberId !== byUserId) await requireTeamRole(byUserId, teamId, "owner", tx);
    const member = await memberRole(tx, teamId, memberId);
    if (!member) throw new LicenseError("NOT_FOUND", "That person is not on this team.");
    const current = member.role;
    if (member.lastOwner) {
      throw new LicenseError("CONFLICT", "The last owner cannot be removed. Make someone else an owner first.", {
        details: { reason: "LAST_OWNER" },
      });
    }
    await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, memberId)));
    await recordAudit(
      tx,
      { ...ctx, teamId },
      { action: "team.member_removed", detail: { userId: memberId, role: current } },
    );
  });
}

/** Team names for lists (staff customers page, switcher). */
export async function teamsByIds(ids: string[], db: DbOrTx = getDb()) {
  if (!ids.length) return [];
  return db.select().from(teams).where(inArray(teams.id, ids));
}

/** The user's teams, with their own team created first if they have none (the Team page needs one to invite into). */
export async function teamsOfUserEnsured(userId: string) {
  const mine = await membershipsOf(userId);
  if (mine.length) return mine;
  await getDb().transaction((tx) => personalTeamOf(tx, userId));
  return membershipsOf(userId);
}

/**
 * Issuing by staff or the CLI: the license goes onto the team of its email's
 * owner (user and team created if new) and the key is mailed to that address
 * with a sign-in link, so it appears in their portal without pasting it.
 */
export async function issueForEmail(
  input: Omit<IssueInput, "teamId">,
  ctx: Context,
): Promise<{ license: LicenseRow; key: string; invited: boolean }> {
  const issued = await getDb().transaction(async (tx) => {
    const { teamId, invited } = await teamForEmail(tx, input.email, input.company);
    return { ...(await issueLicense({ ...input, teamId }, ctx, tx)), invited };
  });
  await mailLicenseKey(issued.license.email, issued.key, PLANS[input.plan].name).catch((error) =>
    console.error("[licenses] key mail failed:", (error as Error)?.message),
  );
  return issued;
}

/** Invitations waiting for the user's answer (shown on the Team page and in the Admin Panel). */
export async function invitationsOf(userId: string, db: DbOrTx = getDb()) {
  return db
    .select({ teamId: teams.id, name: teams.name, role: teamMembers.role, invitedBy: teamMembers.invitedBy })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(and(eq(teamMembers.userId, userId), isNull(teamMembers.acceptedAt)))
    .orderBy(asc(teamMembers.createdAt)) as Promise<
    { teamId: string; name: string; role: Role; invitedBy: string | null }[]
  >;
}

/** The invited person accepts: from now on they have the role. */
export async function acceptInvitation(userId: string, teamId: unknown, ctx: Context): Promise<void> {
  if (typeof teamId !== "string" || !UUID.test(teamId))
    throw new LicenseError("NOT_FOUND", "That invitation was not found.");
  await getDb().transaction(async (tx) => {
    const [done] = await tx
      .update(teamMembers)
      .set({ acceptedAt: ctx.now ?? new Date() })
      .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId), isNull(teamMembers.acceptedAt)))
      .returning({ role: teamMembers.role });
    if (!done) throw new LicenseError("NOT_FOUND", "That invitation was not found: it may have been withdrawn.");
    await recordAudit(
      tx,
      { ...ctx, teamId },
      { action: "team.invitation_accepted", detail: { userId, role: done.role } },
    );
  });
}

/** The invited person declines: the invitation is gone. */
export async function declineInvitation(userId: string, teamId: unknown, ctx: Context): Promise<void> {
  if (typeof teamId !== "string" || !UUID.test(teamId))
    throw new LicenseError("NOT_FOUND", "That invitation was not found.");
  await getDb().transaction(async (tx) => {
    const [gone] = await tx
      .delete(teamMembers)
      .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId), isNull(teamMembers.acceptedAt)))
      .returning({ role: teamMembers.role });
    if (!gone) throw new LicenseError("NOT_FOUND", "That invitation was not found: it may have been withdrawn.");
    await recordAudit(tx, { ...ctx, teamId }, { action: "team.invitation_declined", detail: { userId } });
  });
}
