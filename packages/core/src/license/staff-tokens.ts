/**
 * Staff API tokens (docs/VENDOR-API.md "The staff API"): created and revoked
 * in the back office, shown once, stored as a SHA-256 (a token is 256 random
 * bits, so a plain hash is enough: there is nothing to guess), scoped read or
 * write. Every request looks the token up again: a revoked token, or one
 * whose creator is no longer staff, is refused at once.
 */
import { createHash, randomBytes } from "node:crypto";
import { desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "../db/client";
import { staffApiTokens, users } from "../db/schema";
import { type Context, recordAudit } from "./audit";
import { isStaff } from "./backoffice";
import { LicenseError } from "./errors";
import { normaliseEmail } from "./licenses";

export const TOKEN_SCOPES = ["read", "write"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const TOKEN_PREFIX = "tzs_";
/** `tzs_` and 43 base64url characters. */
const TOKEN_PATTERN = /^tzs_[A-Za-z0-9_-]{43}$/;
/** How often a token's "last used" is written: at most once a minute per token, not per request. */
const LAST_USED_WRITE_MS = 60_000;

const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export const createTokenSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, "Name the token (what uses it).")
    .max(100, "Keep it to 100 characters.")
    // Shown in terminals and confirmations: no control or direction-changing characters.
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, "Use letters, digits, spaces and punctuation only."),
  scope: z.enum(TOKEN_SCOPES, { error: "Choose read or write." }),
});

export type StaffTokenView = {
  id: string;
  name: string;
  scope: TokenScope;
  prefix: string;
  createdAt: Date;
  createdByEmail: string | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  revokedAt: Date | null;
};

/** A new token: the clear value is returned here and never again. */
export async function createStaffToken(
  input: { name: unknown; scope: unknown },
  createdBy: { id: string },
  ctx: Context,
): Promise<{ token: string; view: StaffTokenView }> {
  const parsed = createTokenSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new LicenseError("VALIDATION_FAILED", first?.message ?? "Check the form.", {
      details: Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? "form"), i.message])),
    });
  }
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const prefix = token.slice(0, 8);
  return getDb().transaction(async (tx) => {
    const [row] = await tx
      .insert(staffApiTokens)
      .values({
        name: parsed.data.name,
        scope: parsed.data.scope,
        tokenHash: hashToken(token),
        tokenPrefix: prefix,
        createdBy: createdBy.id,
      })
      .returning();
    await recordAudit(tx, ctx, {
      action: "api_token.created",
      detail: { tokenId: row!.id, name: row!.name, scope: row!.scope, prefix },
    });
    return { token, view: { ...viewOf(row!), createdByEmail: null } };
  });
}

function viewOf(row: typeof staffApiTokens.$inferSelect): Omit<StaffTokenView, "createdByEmail"> {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope as TokenScope,
    prefix: row.tokenPrefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    lastUsedIp: row.lastUsedIp,
    revokedAt: row.revokedAt,
  };
}

/** The staff member a token is created for from the CLI: staff by users.is_staff or STAFF_EMAILS. */
export async function staffUserByEmail(email: string): Promise<{ id: string; email: string }> {
  const [row] = await getDb()
    .select({ id: users.id, email: users.email, isStaff: users.isStaff })
    .from(users)
    .where(eq(users.email, normaliseEmail(email)));
  if (!row || !isStaff(row)) {
    throw new LicenseError("FORBIDDEN", `${email} is not a staff member who has signed in to the back office.`);
  }
  return { id: row.id, email: row.email ?? email };
}

/** Every token, newest first (revoked ones too, for the record); never a hash. */
export async function listStaffTokens(): Promise<StaffTokenView[]> {
  const rows = await getDb()
    .select({ token: staffApiTokens, createdByEmail: users.email })
    .from(staffApiTokens)
    .leftJoin(users, eq(users.id, staffApiTokens.createdBy))
    .orderBy(desc(staffApiTokens.createdAt))
    .limit(500);
  return rows.map((r) => ({ ...viewOf(r.token), createdByEmail: r.createdByEmail }));
}

/** Revokes a token at once; revoking one already revoked changes nothing. */
export async function revokeStaffToken(id: string, ctx: Context): Promise<{ alreadyRevoked: boolean }> {
  if (!z.uuid().safeParse(id).success) throw new LicenseError("NOT_FOUND", "No such API token.");
  return getDb().transaction(async (tx) => {
    const [row] = await tx.select().from(staffApiTokens).where(eq(staffApiTokens.id, id)).for("update");
    if (!row) throw new LicenseError("NOT_FOUND", "No such API token.");
    if (row.revokedAt) return { alreadyRevoked: true };
    await tx
      .update(staffApiTokens)
      .set({ revokedAt: ctx.now ?? new Date(), revokedBy: ctx.actor })
      .where(eq(staffApiTokens.id, id));
    await recordAudit(tx, ctx, {
      action: "api_token.revoked",
      detail: { tokenId: id, name: row.name, scope: row.scope, prefix: row.tokenPrefix },
    });
    return { alreadyRevoked: false };
  });
}

export type StaffTokenCaller = { tokenId: string; scope: TokenScope; name: string };

const refused = () =>
  new LicenseError("UNAUTHENTICATED", "Send a valid staff API token as Authorization: Bearer tzs_…");

/**
 * The caller behind a bearer token, or UNAUTHENTICATED (unknown, malformed,
 * revoked, or its creator is no longer staff); FORBIDDEN when a read token asks
 * to write. Records the last use (time and address) at most once a minute.
 */
export async function authenticateStaffToken(
  raw: string | null,
  need: TokenScope,
  ip: string | null,
  now = new Date(),
): Promise<StaffTokenCaller> {
  if (!raw || !TOKEN_PATTERN.test(raw)) throw refused();
  const db = getDb();
  const [row] = await db
    .select({ token: staffApiTokens, email: users.email, isStaff: users.isStaff })
    .from(staffApiTokens)
    .leftJoin(users, eq(users.id, staffApiTokens.createdBy))
    .where(eq(staffApiTokens.tokenHash, hashToken(raw)));
  if (!row || row.token.revokedAt || !isStaff({ email: row.email, isStaff: row.isStaff })) throw refused();
  const { token } = row;
  if (need === "write" && token.scope !== "write") {
    throw new LicenseError("FORBIDDEN", "This token is read-only; this operation needs a write token.");
  }
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= LAST_USED_WRITE_MS) {
    await db
      .update(staffApiTokens)
      .set({ lastUsedAt: now, lastUsedIp: ip })
      .where(
        sql`${staffApiTokens.id} = ${token.id} and (${staffApiTokens.lastUsedAt} is null or ${staffApiTokens.lastUsedAt} < ${new Date(now.getTime() - LAST_USED_WRITE_MS).toISOString()}::timestamptz)`,
      );
  }
  return { tokenId: token.id, scope: token.scope as TokenScope, name: token.name };
}

/** The audit context of a change made through the API. */
export const tokenContext = (caller: StaffTokenCaller, ip: string | null): Context => ({
  actor: `api-token:${caller.tokenId}`,
  ip,
});
