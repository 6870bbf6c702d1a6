/**
 * Issuing, finding and changing licenses. Routes, server actions, Stripe
 * fulfilment and the CLI all call these.
 */
import { desc, eq } from "drizzle-orm";
import { type DbOrTx, getDb, type Tx } from "../db/client";
import { activations, licenses, trials } from "../db/schema";
import { type Context, recordAudit } from "./audit";
import { isLicenseError, LicenseError } from "./errors";
import { generateKey, KEY_FORMAT_MESSAGE, maskKey, parseKey } from "./keys";
import { PLANS, type PlanId, type PlanLimits } from "./plans";
import { classify, type LicenseFacts, statusMessage } from "./status";
import { encryptKey, hashKey } from "./vault";

export type LicenseRow = typeof licenses.$inferSelect;

const DAY_MS = 86_400_000;

export function factsOf(row: LicenseRow): LicenseFacts {
  return { ...row, plan: row.plan as PlanId };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export type IssueInput = {
  plan: PlanId;
  email: string;
  company?: string | null;
  /** The team that holds it; null: nobody's yet (a public trial waits to be claimed). */
  teamId?: string | null;
  /** Custom (enterprise) limits; the plan's defaults otherwise. */
  limits?: Partial<PlanLimits>;
  features?: string[];
  expiresAt?: Date;
  stripeSubscriptionId?: string | null;
  /** The license this one replaces (a plan change): recorded, and announced as an upgrade, not a sale. */
  replaces?: string;
};

/** Issues a license with its own copy of the plan's limits and features. Returns the clear key once. */
export async function issueLicense(
  input: IssueInput,
  ctx: Context,
  db: DbOrTx = getDb(),
): Promise<{ license: LicenseRow; key: string }> {
  const plan = PLANS[input.plan];
  const now = ctx.now ?? new Date();
  for (let attempt = 0; attempt < 5; attempt++) {
    const key = generateKey(input.plan);
    const [license] = await db
      .insert(licenses)
      .values({
        keyHash: hashKey(key),
        keyCiphertext: encryptKey(key),
        keyMasked: maskKey(key),
        plan: plan.id,
        ...plan.limits,
        ...input.limits,
        features: input.features ?? plan.features,
        email: normaliseEmail(input.email),
        company: input.company ?? null,
        teamId: input.teamId ?? null,
        issuedAt: now,
        expiresAt: input.expiresAt ?? new Date(now.getTime() + plan.durationDays * DAY_MS),
        stripeSubscriptionId: input.stripeSubscriptionId ?? null,
      })
      .onConflictDoNothing({ target: licenses.keyHash })
      .returning();
    if (license) {
      await recordAudit(db, ctx, {
        licenseId: license.id,
        action: "license.issued",
        detail: {
          plan: plan.id,
          key: license.keyMasked,
          expiresAt: license.expiresAt.toISOString(),
          ...(input.replaces ? { replaces: input.replaces } : {}),
        },
      });
      return { license, key };
    }
  }
  throw new Error("could not draw a unique license key");
}

/** Format first (no database work for a malformed key), then existence. */
export async function findByKey(rawKey: unknown, db: DbOrTx = getDb(), forUpdate = false): Promise<LicenseRow> {
  const parsed = parseKey(rawKey);
  if (!parsed) throw new LicenseError("INVALID_FORMAT", KEY_FORMAT_MESSAGE);
  const query = db
    .select()
    .from(licenses)
    .where(eq(licenses.keyHash, hashKey(parsed.key)));
  const [row] = forUpdate ? await query.for("update") : await query;
  if (!row) throw new LicenseError("LICENSE_NOT_FOUND", `License ${maskKey(parsed.key)} was not found.`);
  return row;
}

/** Throws the documented 403 when a license cannot be used right now: its status code is the error code. */
export function assertUsable(row: LicenseRow, now: Date): void {
  const facts = factsOf(row);
  const { code } = classify(facts, now);
  if (
    code === "LICENSE_REVOKED" ||
    code === "LICENSE_SUSPENDED" ||
    code === "LICENSE_EXPIRED" ||
    code === "LICENSE_SUPERSEDED"
  ) {
    throw new LicenseError(code, statusMessage(facts, code, 0));
  }
}

export async function listLicenses(db: DbOrTx = getDb(), limit = 200) {
  return db.select().from(licenses).orderBy(desc(licenses.issuedAt)).limit(limit);
}

export type LicenseState = "revoked" | "suspended" | "active";
/** Which license a state change is about: its key (CLI, API) or its id (back office). */
export type LicenseLocator = { key: string } | { id: string };

/**
 * The states each change may start from, for the back office, the CLI and the staff API alike:
 * suspending twice, or "reinstating" a superseded license (which would give its holder two
 * working keys), is a CONFLICT that changes nothing.
 */
export const ALLOWED_FROM: Record<LicenseState, readonly string[]> = {
  suspended: ["active"],
  revoked: ["active", "suspended", "superseded"],
  active: ["suspended", "revoked"],
};

/**
 * The one state change (revoke, suspend, reinstate), by key or by id: the row
 * is locked, changed and audited in one transaction; a change from a state
 * ALLOWED_FROM does not list is refused (CONFLICT).
 */
export async function changeLicenseState(
  locator: LicenseLocator,
  state: LicenseState,
  action: string,
  ctx: Context,
  detail: Record<string, unknown> = {},
): Promise<LicenseRow> {
  const allowedFrom = ALLOWED_FROM[state];
  return getDb().transaction(async (tx) => {
    const row = "key" in locator ? await findByKey(locator.key, tx, true) : await findById(locator.id, tx, true);
    if (!allowedFrom.includes(row.state)) {
      throw new LicenseError("CONFLICT", `This license is ${row.state}; it cannot be changed to ${state} from there.`);
    }
    const [updated] = await tx
      .update(licenses)
      .set({ state, updatedAt: new Date() })
      .where(eq(licenses.id, row.id))
      .returning();
    await recordAudit(tx, ctx, { licenseId: row.id, action, detail: { from: row.state, ...detail } });
    return updated!;
  });
}

/** A license by its id (back office); LICENSE_NOT_FOUND for an unknown or malformed id. */
export async function findById(id: string, db: DbOrTx = getDb(), forUpdate = false): Promise<LicenseRow> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!uuid.test(id)) throw new LicenseError("LICENSE_NOT_FOUND", "License not found.");
  const query = db.select().from(licenses).where(eq(licenses.id, id));
  const [row] = forUpdate ? await query.for("update") : await query;
  if (!row) throw new LicenseError("LICENSE_NOT_FOUND", "License not found.");
  return row;
}

const changeState = (
  key: string,
  state: LicenseState,
  action: string,
  ctx: Context,
  detail: Record<string, unknown> = {},
) => changeLicenseState({ key }, state, action, ctx, detail);

export const revokeLicense = (key: string, ctx: Context, reason?: string) =>
  changeState(key, "revoked", "license.revoked", ctx, { reason });
export const suspendLicense = (key: string, ctx: Context, reason?: string) =>
  changeState(key, "suspended", "license.suspended", ctx, { reason });
export const reinstateLicense = (key: string, ctx: Context) => changeState(key, "active", "license.reinstated", ctx);

/** Moves expiry to `until` (renewals, staff extensions). */
export async function extendLicense(licenseId: string, until: Date, ctx: Context, db: DbOrTx = getDb()) {
  const [updated] = await db
    .update(licenses)
    .set({ expiresAt: until, updatedAt: new Date() })
    .where(eq(licenses.id, licenseId))
    .returning();
  if (!updated) throw new LicenseError("LICENSE_NOT_FOUND", "License not found.");
  await recordAudit(db, ctx, { licenseId, action: "license.extended", detail: { until: until.toISOString() } });
  return updated;
}

export async function installationsOf(licenseId: string, db: DbOrTx = getDb()) {
  return db
    .select({
      instanceId: activations.instanceId,
      instanceName: activations.instanceName,
      activatedAt: activations.activatedAt,
      lastSeenAt: activations.lastSeenAt,
      clients: activations.clients,
      deactivatedAt: activations.deactivatedAt,
      deactivatedBy: activations.deactivatedBy,
      slotFreesAt: activations.slotFreesAt,
      certificateExpiresAt: activations.certificateExpiresAt,
      kind: activations.kind,
      licenseFileExpiresAt: activations.licenseFileExpiresAt,
    })
    .from(activations)
    .where(eq(activations.licenseId, licenseId))
    .orderBy(activations.activatedAt);
}

/**
 * One trial per normalised email, ever: the `trials` primary key decides, also
 * under concurrency. `placeOnTeam` (inside the transaction) says which team, if
 * any, gets it at once; a public trial goes on none and waits to be claimed.
 */
export async function generateTrial(
  rawEmail: string,
  ctx: Context,
  placeOnTeam: (tx: Tx) => Promise<string | null> = async () => null,
): Promise<{ license: LicenseRow; key: string }> {
  const email = normaliseEmail(rawEmail);
  try {
    return await getDb().transaction(async (tx: Tx) => {
      const teamId = await placeOnTeam(tx);
      const { license, key } = await issueLicense({ plan: "trial", email, teamId }, ctx, tx);
      const [claimed] = await tx
        .insert(trials)
        .values({ email, licenseId: license.id })
        .onConflictDoNothing({ target: trials.email })
        .returning({ email: trials.email });
      // The domain refusal itself rolls the transaction back: no framework error class to recognise.
      if (!claimed)
        throw new LicenseError("TRIAL_ALREADY_USED", "A trial has already been started for this email address.");
      return { license, key };
    });
  } catch (error) {
    if (isLicenseError(error) && error.code === "TRIAL_ALREADY_USED") {
      await recordAudit(getDb(), ctx, { action: "trial.refused", detail: { reason: "TRIAL_ALREADY_USED" } });
    }
    throw error;
  }
}

export async function hasUsedTrial(email: string): Promise<boolean> {
  const [row] = await getDb()
    .select()
    .from(trials)
    .where(eq(trials.email, normaliseEmail(email)));
  return Boolean(row);
}
