/**
 * The vendor's back office (`/staff`): who is staff, finding licenses, custom
 * enterprise limits, suspend / revoke / reinstate / extend by id, issuing with
 * custom limits, the audit log and the revenue and usage figures. Pages and
 * server actions call these; every change is audited as `staff:<userId>`.
 */
import { and, count, desc, eq, inArray, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "../db/client";
import { activations, auditEvents, figureSnapshots, licenses, payments, teamMembers, teams, users } from "../db/schema";
import { config } from "../server/config";
import { type Context, recordAudit } from "./audit";
import { LicenseError } from "./errors";
import { parseKey } from "./keys";
import { statusOfLicense } from "./license-status";
import { changeLicenseState, extendLicense, findById, findByKey, type LicenseRow, normaliseEmail } from "./licenses";
import { isPlanId, PLAN_IDS, PLANS, type PlanId, type PlanLimits } from "./plans";
import { slotTakenSql } from "./slots";
import { EXPIRING_SOON_DAYS, usagePeriod } from "./status";
import { issueForEmail } from "./teams";
import { usageHistory } from "./usage";

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------- access

export type StaffUser = { id: string; email: string };

/** `STAFF_EMAILS`: comma separated, case-insensitive. */
export function staffEmails(raw: string | undefined = config().staffEmails): Set<string> {
  return new Set(
    (raw ?? "")
      .split(",")
      .map((e) => normaliseEmail(e))
      .filter(Boolean),
  );
}

/** Staff: `users.is_staff`, or an email listed in `STAFF_EMAILS`. */
export function isStaff(
  user: { email?: string | null; isStaff?: boolean | null } | null | undefined,
  envEmails: string | undefined = config().staffEmails,
): boolean {
  if (!user) return false;
  if (user.isStaff === true) return true;
  return Boolean(user.email) && staffEmails(envEmails).has(normaliseEmail(user.email!));
}

export type StaffAccess =
  | { kind: "signed_out" }
  | { kind: "forbidden"; user: { id: string; email: string } }
  | { kind: "staff"; user: StaffUser };

/** A signed-in user's standing in the back office, read fresh from the database (a revoked flag takes effect at once). */
export async function staffStanding(session: { id: string; email: string } | null): Promise<StaffAccess> {
  if (!session) return { kind: "signed_out" };
  const [row] = await getDb()
    .select({ id: users.id, email: users.email, isStaff: users.isStaff })
    .from(users)
    .where(eq(users.id, session.id));
  const user = { id: session.id, email: row?.email ?? session.email };
  return row && isStaff(row) ? { kind: "staff", user } : { kind: "forbidden", user };
}

/** The audit context of a staff member's change. */
export const staffContext = (user: { id: string }, ip?: string | null): Context => ({
  actor: `staff:${user.id}`,
  ip: ip ?? null,
});

// ---------------------------------------------------------------- validation

const MAX_LIMIT = 1_000_000_000;
const limitSchema = z.coerce
  .number({ error: "Enter a whole number." })
  .int("Enter a whole number.")
  .positive("Must be at least 1.")
  .max(MAX_LIMIT, "That is too large.");

/** Blank means "the default" (null); otherwise a whole number in range. */
const optionalCount = (min: number, max: number, what: string) =>
  z.preprocess(
    (value) => (value === undefined || value === null || String(value).trim() === "" ? null : value),
    z.coerce
      .number({ error: "Enter a whole number, or leave it blank for the default." })
      .int("Enter a whole number.")
      .min(min, `At least ${min}.`)
      .max(max, `At most ${max} ${what}.`)
      .nullable(),
  );

export const limitsSchema = z.object({
  maxClients: limitSchema,
  maxTicketsPerMonth: limitSchema,
  maxActivations: limitSchema,
  /** Swap allowance (deactivations freeing a slot at once) per 30 days; null: one per activation. */
  swapsPer30Days: optionalCount(0, 1000, "swaps").optional(),
  /** Days without a check-in before an installation is deactivated; null: the certificate lifetime. */
  heartbeatWindowDays: optionalCount(1, 365, "days").optional(),
});

const FIELD_NAMES: Record<string, string> = {
  maxClients: "Max clients",
  maxTicketsPerMonth: "Max tickets per month",
  maxActivations: "Max activations",
  swapsPer30Days: "Swaps per 30 days",
  heartbeatWindowDays: "Heartbeat window",
  days: "Days",
  email: "Email",
  company: "Company",
  plan: "Plan",
};

function invalid(error: z.ZodError, labels: Record<string, string>): LicenseError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = String(issue.path[issue.path.length - 1] ?? "form");
    fields[name] ??= issue.message;
  }
  const first = Object.entries(fields)[0];
  const label = first ? (labels[first[0]] ?? first[0]) : "";
  return new LicenseError("VALIDATION_FAILED", first ? `${label}: ${first[1]}` : "Check the form.", {
    details: fields,
  });
}

/** Validates a form's input: VALIDATION_FAILED with a message per field (`labels` name them). */
export function parse<T>(schema: z.ZodType<T>, input: unknown, labels: Record<string, string> = FIELD_NAMES): T {
  const result = schema.safeParse(input);
  if (!result.success) throw invalid(result.error, labels);
  return result.data;
}

// ---------------------------------------------------------------- status in SQL

export const STATUS_FILTERS = [
  "valid",
  "expiring_soon",
  "trial",
  "expired",
  "suspended",
  "revoked",
  "superseded",
] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];
export const isStatusFilter = (v: unknown): v is StatusFilter =>
  typeof v === "string" && (STATUS_FILTERS as readonly string[]).includes(v);

/**
 * The same rules as `classify()` (status.ts), as a SQL expression for filtering.
 * A superseded license reads as what it still is in its grace (valid, expiring, expired);
 * the `superseded` filter is its state.
 */
export function statusSql(now: Date): SQL<string> {
  const end = sql`(case when ${licenses.state} = 'superseded' and ${licenses.graceEndsAt} is not null and ${licenses.graceEndsAt} < ${licenses.expiresAt} then ${licenses.graceEndsAt} else ${licenses.expiresAt} end)`;
  const soon = new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS);
  return sql<string>`(case
    when ${licenses.state} = 'revoked' then 'revoked'
    when ${licenses.state} = 'suspended' then 'suspended'
    when ${end} <= ${now.toISOString()}::timestamptz then 'expired'
    when ${licenses.plan} = 'trial' then 'trial'
    when ${end} <= ${soon.toISOString()}::timestamptz then 'expiring_soon'
    else 'valid' end)`;
}

/**
 * `statusSql(now) = status` (for `superseded`: the state) as a plain predicate: the same rules (see statusSql), but each row
 * pays for a few comparisons instead of the whole CASE and a text comparison; over a million
 * licenses that halves a filtered count.
 */
export function statusIs(status: StatusFilter, now: Date): SQL {
  const end = sql`(case when ${licenses.state} = 'superseded' and ${licenses.graceEndsAt} is not null and ${licenses.graceEndsAt} < ${licenses.expiresAt} then ${licenses.graceEndsAt} else ${licenses.expiresAt} end)`;
  const at = sql`${now.toISOString()}::timestamptz`;
  const soon = sql`${new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS).toISOString()}::timestamptz`;
  const running = sql`${licenses.state} not in ('revoked', 'suspended')`;
  switch (status) {
    case "superseded": // the filter is the state (a superseded license reads as what it still is)
      return sql`${licenses.state} = 'superseded'`;
    case "revoked":
      return sql`${licenses.state} = 'revoked'`;
    case "suspended":
      return sql`${licenses.state} = 'suspended'`;
    case "expired":
      return sql`(${running} and ${end} <= ${at})`;
    case "trial":
      return sql`(${running} and ${licenses.plan} = 'trial' and ${end} > ${at})`;
    case "expiring_soon":
      return sql`(${running} and ${licenses.plan} <> 'trial' and ${end} > ${at} and ${end} <= ${soon})`;
    case "valid":
      return sql`(${running} and ${licenses.plan} <> 'trial' and ${end} > ${soon})`;
  }
}

// ---------------------------------------------------------------- search

export const PAGE_SIZE = 25;

export type SearchInput = {
  q?: string | null;
  plan?: string | null;
  status?: string | null;
  /** Only licenses on no team yet (public trials waiting for their email's owner to claim them). */
  unclaimed?: boolean | null;
  page?: number;
};

export type LicenseListItem = {
  id: string;
  plan: PlanId;
  state: string;
  status: StatusFilter;
  email: string;
  company: string | null;
  teamId: string | null;
  keyMasked: string;
  issuedAt: Date;
  expiresAt: Date;
  activationCount: number;
  maxActivations: number;
};

/** How `q` was read: a full key (matched by its hash), a masked key or its last group, or free text. */
export type MatchedBy = "none" | "key" | "suffix" | "text";

export type SearchResult = {
  items: LicenseListItem[];
  total: number;
  page: number;
  pageCount: number;
  matchedBy: MatchedBy;
  /** Set when `q` looks like a key but is neither whole nor masked (keys are never matched in part). */
  notice: string | null;
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What keyMasked keeps: `TZ-PRO-****-****-****-2YPY`, `TZ-TRIAL-****7K2Q`. */
const MASKED_KEY = /^TZ-(STA|PRO|ENT)-\*{4}-\*{4}-\*{4}-[0-9A-Z]{4}$|^TZ-TRIAL-\*{4}[0-9A-Z]{4}$/;
/** The last group of a key (the part a masked key shows), as a customer reads it out. */
const KEY_SUFFIX = /^[0-9A-Z]{4}$/;

export type LicenseFilter = { where: SQL | undefined; matchedBy: MatchedBy; notice: string | null; none: boolean };

/**
 * The WHERE of the license list and its CSV export. `q` is a full key (found
 * by its HMAC hash, never by LIKE), a masked key or its last four characters
 * (`2YPY`, matched on keyMasked, also as text), a license id, or text matched
 * against email and company. Filters combine with AND.
 */
export async function licenseFilter(input: SearchInput, now = new Date()): Promise<LicenseFilter> {
  const q = (input.q ?? "").trim().slice(0, 200);
  const where: SQL[] = [];
  let matchedBy: MatchedBy = "none";
  if (q) {
    const upper = q.toUpperCase();
    if (parseKey(q)) {
      matchedBy = "key";
      const row = await findByKey(q, getDb()).catch((error: unknown) => {
        if (error instanceof LicenseError && error.code === "LICENSE_NOT_FOUND") return null;
        throw error;
      });
      if (!row) return { where: undefined, matchedBy, notice: null, none: true };
      where.push(eq(licenses.id, row.id));
    } else if (MASKED_KEY.test(upper)) {
      matchedBy = "suffix";
      // right(key_masked, 4) is indexed (licenses_key_suffix_idx); the whole mask is then compared.
      where.push(sql`right(${licenses.keyMasked}, 4) = ${upper.slice(-4)}`, eq(licenses.keyMasked, upper));
    } else if (/^tz-/i.test(q)) {
      const notice =
        "Keys are matched whole: paste the full key (TZ-PRO-XXXX-XXXX-XXXX-XXXX), or search its last group (e.g. 2YPY).";
      return { where: undefined, matchedBy, notice, none: true };
    } else if (UUID.test(q)) {
      matchedBy = "text";
      where.push(eq(licenses.id, q));
    } else {
      const pattern = `%${escapeLike(q)}%`;
      const text = sql`(${licenses.email} ilike ${pattern} or ${licenses.company} ilike ${pattern})`;
      if (KEY_SUFFIX.test(upper)) {
        // Four letters could be a key's last group or part of a name: both match.
        matchedBy = "suffix";
        where.push(sql`(right(${licenses.keyMasked}, 4) = ${upper} or ${text})`);
      } else {
        matchedBy = "text";
        where.push(text);
      }
    }
  }
  if (input.plan && isPlanId(input.plan)) where.push(eq(licenses.plan, input.plan));
  if (input.status === "superseded") where.push(eq(licenses.state, "superseded"));
  else if (input.status && isStatusFilter(input.status)) where.push(statusIs(input.status, now));
  if (input.unclaimed) where.push(sql`${licenses.teamId} is null`);
  return { where: where.length ? and(...where) : undefined, matchedBy, notice: null, none: false };
}

/** Licenses, newest first, a page at a time (see licenseFilter for what `q` matches). */
export async function searchLicenses(input: SearchInput = {}, now = new Date()): Promise<SearchResult> {
  const db = getDb();
  const page = Math.max(1, Math.min(10_000, Math.floor(Number(input.page) || 1)));
  const status = statusSql(now);
  const filter = await licenseFilter(input, now);
  const { matchedBy, notice } = filter;
  if (filter.none) return { items: [], total: 0, page: 1, pageCount: 1, matchedBy, notice };

  const condition = filter.where;
  const [{ total } = { total: 0 }] = await db.select({ total: count() }).from(licenses).where(condition);
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const current = Math.min(page, pageCount);
  // The page's ids first, from the list index alone (an index-only scan, however deep the page),
  // then those 25 rows and their activation counts.
  const pageIds = db
    .select({ id: licenses.id })
    .from(licenses)
    .where(condition)
    .orderBy(desc(licenses.issuedAt), desc(licenses.id))
    .limit(PAGE_SIZE)
    .offset((current - 1) * PAGE_SIZE);
  const rows = await db
    .select({
      id: licenses.id,
      plan: licenses.plan,
      state: licenses.state,
      status,
      email: licenses.email,
      company: licenses.company,
      teamId: licenses.teamId,
      keyMasked: licenses.keyMasked,
      issuedAt: licenses.issuedAt,
      expiresAt: licenses.expiresAt,
      maxActivations: licenses.maxActivations,
      activationCount: sql<number>`(select count(*)::int from activations a where a.license_id = "licenses"."id" and ${sql.raw(slotTakenSql("a", "now()"))})`,
    })
    .from(licenses)
    .where(inArray(licenses.id, pageIds))
    .orderBy(desc(licenses.issuedAt), desc(licenses.id));
  return {
    items: rows.map((r) => ({ ...r, plan: r.plan as PlanId, status: r.status as StatusFilter })),
    total,
    page: current,
    pageCount,
    matchedBy,
    notice,
  };
}

// ---------------------------------------------------------------- detail

export type AuditItem = {
  id: number;
  at: Date;
  licenseId: string | null;
  keyMasked: string | null;
  actor: string;
  /** The account behind a `staff:<id>` or `user:<id>` actor (an `api-token:<id>`'s creator), when it still exists. */
  actorEmail: string | null;
  /** An `api-token:<id>` actor's token name. */
  actorName: string | null;
  action: string;
  detail: Record<string, unknown>;
  ip: string | null;
};

/** Everything the license page shows, or null for an unknown id. */
export async function licenseDetail(id: string, now = new Date()) {
  const db = getDb();
  const license = await findById(id, db).catch((error: unknown) => {
    if (error instanceof LicenseError && error.code === "LICENSE_NOT_FOUND") return null;
    throw error;
  });
  if (!license) return null;
  const [{ status, installations }, history, paymentRows, audit, account] = await Promise.all([
    statusOfLicense(license, now),
    usageHistory(license.id, 12),
    db
      .select({
        checkoutSessionId: payments.checkoutSessionId,
        plan: payments.plan,
        amountCents: payments.amountCents,
        currency: payments.currency,
        mode: payments.mode,
        createdAt: payments.createdAt,
        kind: sql<
          "purchase" | "renewal" | "upgrade"
        >`case when ${payments.renewLicenseId} = ${license.id} then 'renewal' when ${payments.upgradeFromLicenseId} is not null then 'upgrade' else 'purchase' end`,
      })
      .from(payments)
      .where(sql`${payments.licenseId} = ${license.id} or ${payments.renewLicenseId} = ${license.id}`)
      .orderBy(desc(payments.createdAt)),
    auditLog({ licenseId: license.id, pageSize: 100 }),
    license.teamId
      ? db
          .select({ email: users.email })
          .from(teamMembers)
          .innerJoin(users, eq(users.id, teamMembers.userId))
          .where(and(eq(teamMembers.teamId, license.teamId), eq(teamMembers.role, "owner")))
          .limit(1)
      : Promise.resolve([]),
  ]);
  return {
    license,
    status,
    installations,
    usage: history.slice().reverse(),
    payments: paymentRows,
    audit: audit.items,
    accountEmail: account[0]?.email ?? null,
  };
}

export type LicenseDetail = NonNullable<Awaited<ReturnType<typeof licenseDetail>>>;

// ---------------------------------------------------------------- customers

export type CustomerQuery = { q?: string | null; page?: number };

export type CustomerListItem = {
  id: string;
  name: string;
  ownerEmail: string | null;
  members: number;
  licenses: number;
  plans: PlanId[];
  /** Licenses by back-office status (only the statuses present). */
  statuses: Partial<Record<StatusFilter, number>>;
  revenueCents: number;
  createdAt: Date;
};

/** A team's payments: for its licenses, renewals included (a renewal row may carry only renew_license_id). */
const paymentLicense = sql`coalesce(${payments.licenseId}, ${payments.renewLicenseId})`;
/** The newest payments a customer page lists (the revenue figure counts them all). */
const CUSTOMER_PAYMENTS_SHOWN = 500;

/** `"teams"."id"` spelled out: a one-table select drops the table name, which a correlated subquery would misread. */
const teamId = sql.raw(`"teams"."id"`);

/** Teams whose name, or a member's or license's email or company, contains `q`. */
export function customerWhere(q: string): SQL | undefined {
  if (!q) return undefined;
  if (UUID.test(q)) return eq(teams.id, q);
  const pattern = `%${escapeLike(q)}%`;
  // Each branch by its own trigram index (teams.name, users.email, licenses.email and company).
  return sql`${teamId} in (
    select t.id from teams t where t.name ilike ${pattern}
    union select tm.team_id from team_members tm join users u on u.id = tm.user_id where u.email ilike ${pattern}
    union select l.team_id from licenses l where l.team_id is not null and (l.email ilike ${pattern} or l.company ilike ${pattern}))`;
}

/** The first owner's email (the account's contact). */
const ownerEmailSql = sql<
  string | null
>`(select u.email from team_members tm join users u on u.id = tm.user_id where tm.team_id = ${teamId} and tm.role = 'owner' order by tm.created_at, u.email limit 1)`;

/** One row per team (the customer's account), newest first, with its members, licenses and revenue. */
export async function listCustomers(query: CustomerQuery = {}, now = new Date()) {
  const db = getDb();
  const q = (query.q ?? "").trim().slice(0, 200);
  const page = Math.max(1, Math.min(10_000, Math.floor(Number(query.page) || 1)));
  const condition = customerWhere(q);
  const [{ total } = { total: 0 }] = await db.select({ total: count() }).from(teams).where(condition);
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const current = Math.min(page, pageCount);
  const status = statusSql(now);
  // The page's teams first (their ids from the list index alone, however deep the page), then
  // their figures: aggregates run for 25 teams, not all of them.
  const pageIds = db
    .select({ id: teams.id })
    .from(teams)
    .where(condition)
    .orderBy(desc(teams.createdAt), desc(teams.id))
    .limit(PAGE_SIZE)
    .offset((current - 1) * PAGE_SIZE);
  const rows = await db
    .select({
      id: teams.id,
      name: teams.name,
      createdAt: teams.createdAt,
      ownerEmail: ownerEmailSql,
      members: sql<number>`(select count(*)::int from team_members tm where tm.team_id = ${teamId})`,
      licenseStatuses: sql<Record<string, number> | null>`(select jsonb_object_agg(s, n) from (
        select ${status} as s, count(*)::int as n from licenses where licenses.team_id = ${teamId} group by 1) x)`,
      plans: sql<
        string[] | null
      >`(select array_agg(distinct l.plan order by l.plan) from licenses l where l.team_id = ${teamId})`,
      revenueCents: sql<number>`(select coalesce(sum(p.amount_cents), 0)::float8 from payments p
        join licenses l on l.id = coalesce(p.license_id, p.renew_license_id) where l.team_id = ${teamId})`,
    })
    .from(teams)
    .where(inArray(teams.id, pageIds))
    .orderBy(desc(teams.createdAt), desc(teams.id));
  const items: CustomerListItem[] = rows.map((r) => {
    const statuses = (r.licenseStatuses ?? {}) as Partial<Record<StatusFilter, number>>;
    return {
      id: r.id,
      name: r.name,
      ownerEmail: r.ownerEmail,
      members: Number(r.members),
      licenses: Object.values(statuses).reduce((a, b) => a + Number(b), 0),
      plans: (r.plans ?? []).filter(isPlanId).sort((a, b) => PLAN_IDS.indexOf(a) - PLAN_IDS.indexOf(b)),
      statuses,
      revenueCents: Number(r.revenueCents),
      createdAt: r.createdAt,
    };
  });
  return { items, total, page: current, pageCount };
}

/** A customer's account: its members, licenses and payments; null for an unknown id. */
export async function customerDetail(id: string, now = new Date()) {
  if (!UUID.test(id)) return null;
  const db = getDb();
  const [team] = await db.select().from(teams).where(eq(teams.id, id));
  if (!team) return null;
  const status = statusSql(now);
  const [members, teamLicenses, teamPayments, revenue] = await Promise.all([
    db
      .select({ userId: users.id, email: users.email, role: teamMembers.role, joinedAt: teamMembers.createdAt })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(eq(teamMembers.teamId, id))
      .orderBy(sql`case ${teamMembers.role} when 'owner' then 0 when 'admin' then 1 else 2 end`, users.email),
    db
      .select({
        id: licenses.id,
        keyMasked: licenses.keyMasked,
        plan: licenses.plan,
        state: licenses.state,
        status,
        email: licenses.email,
        issuedAt: licenses.issuedAt,
        expiresAt: licenses.expiresAt,
      })
      .from(licenses)
      .where(eq(licenses.teamId, id))
      .orderBy(desc(licenses.issuedAt), desc(licenses.id)),
    db
      .select({
        id: payments.checkoutSessionId,
        createdAt: payments.createdAt,
        kind: payments.kind,
        plan: payments.plan,
        amountCents: payments.amountCents,
        currency: payments.currency,
        mode: payments.mode,
        licenseId: licenses.id,
        keyMasked: licenses.keyMasked,
      })
      .from(payments)
      .innerJoin(licenses, sql`${licenses.id} = ${paymentLicense}`)
      .where(eq(licenses.teamId, id))
      .orderBy(desc(payments.createdAt))
      .limit(CUSTOMER_PAYMENTS_SHOWN),
    db
      .select({ cents: sql<number>`coalesce(sum(${payments.amountCents}), 0)::float8` })
      .from(payments)
      .innerJoin(licenses, sql`${licenses.id} = ${paymentLicense}`)
      .where(eq(licenses.teamId, id)),
  ]);
  return {
    team,
    members: members.map((m) => ({ ...m, email: m.email ?? "" })),
    licenses: teamLicenses.map((l) => ({ ...l, status: l.status as StatusFilter })),
    payments: teamPayments,
    revenueCents: Number(revenue[0]?.cents ?? 0),
  };
}

export type CustomerDetail = NonNullable<Awaited<ReturnType<typeof customerDetail>>>;

// ---------------------------------------------------------------- commands

export type LimitsInput = {
  maxClients: unknown;
  maxTicketsPerMonth: unknown;
  maxActivations: unknown;
  swapsPer30Days?: unknown;
  heartbeatWindowDays?: unknown;
};

/**
 * Custom (enterprise) limits. Lowering `maxActivations` below the current
 * installations is allowed (nobody is cut off; new activations are refused)
 * and comes back as a warning.
 */
export async function setCustomLimits(
  id: string,
  input: LimitsInput,
  ctx: Context,
): Promise<{ license: LicenseRow; warnings: string[] }> {
  const { heartbeatWindowDays, ...parsed } = parse(limitsSchema, input);
  const limits = {
    ...parsed,
    ...(heartbeatWindowDays !== undefined
      ? { heartbeatWindowSeconds: heartbeatWindowDays === null ? null : heartbeatWindowDays * 86_400 }
      : {}),
  };
  return getDb().transaction(async (tx) => {
    const row = await findById(id, tx, true);
    const [{ n } = { n: 0 }] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(activations)
      .where(and(eq(activations.licenseId, row.id), sql`${activations.deactivatedAt} is null`));
    const [updated] = await tx
      .update(licenses)
      .set({ ...limits, updatedAt: new Date() })
      .where(eq(licenses.id, row.id))
      .returning();
    const from = {
      maxClients: row.maxClients,
      maxTicketsPerMonth: row.maxTicketsPerMonth,
      maxActivations: row.maxActivations,
      swapsPer30Days: row.swapsPer30Days,
      heartbeatWindowSeconds: row.heartbeatWindowSeconds,
    };
    await recordAudit(tx, ctx, { licenseId: row.id, action: "license.limits_changed", detail: { from, to: limits } });
    const warnings: string[] = [];
    if (limits.maxActivations < n) {
      warnings.push(
        `${n} installations are active but the limit is now ${limits.maxActivations}: they keep working, and no new installation can activate until ${n - limits.maxActivations} ${n - limits.maxActivations === 1 ? "is" : "are"} deactivated.`,
      );
    }
    return { license: updated!, warnings };
  });
}

const reason = (text: unknown) => (typeof text === "string" && text.trim() ? text.trim().slice(0, 500) : undefined);

export const suspendById = (id: string, ctx: Context, why?: string) =>
  changeLicenseState({ id }, "suspended", "license.suspended", ctx, { reason: reason(why) });
export const revokeById = (id: string, ctx: Context, why?: string) =>
  changeLicenseState({ id }, "revoked", "license.revoked", ctx, { reason: reason(why) });
export const reinstateById = (id: string, ctx: Context) =>
  changeLicenseState({ id }, "active", "license.reinstated", ctx, {});

const daysSchema = z.coerce
  .number({ error: "Enter a number of days." })
  .int("Enter a whole number of days.")
  .min(1, "At least 1 day.")
  .max(3650, "At most 3,650 days (10 years).");

/** Adds `days` to the expiry, or to now when it has already passed. */
export async function extendById(id: string, days: unknown, ctx: Context): Promise<LicenseRow> {
  const n = parse(z.object({ days: daysSchema }), { days }).days;
  const now = ctx.now ?? new Date();
  return getDb().transaction(async (tx) => {
    const row = await findById(id, tx, true);
    const base = Math.max(row.expiresAt.getTime(), now.getTime());
    return extendLicense(row.id, new Date(base + n * DAY_MS), ctx, tx);
  });
}

const optionalLimit = z.preprocess((v) => (v === "" || v === null ? undefined : v), limitSchema.optional());

export const issueSchema = z.object({
  plan: z.enum(PLAN_IDS, { error: "Choose a plan." }),
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.")),
  company: z
    .string()
    .trim()
    .max(200, "Keep it to 200 characters.")
    .nullish()
    .transform((v) => v || null),
  days: daysSchema,
  limits: z
    .object({ maxClients: optionalLimit, maxTicketsPerMonth: optionalLimit, maxActivations: optionalLimit })
    .partial()
    .optional(),
});

export type IssueCustomInput = {
  plan: unknown;
  email: unknown;
  company?: unknown;
  days: unknown;
  limits?: Partial<Record<keyof PlanLimits, unknown>>;
};

/** Issues a license (custom limits allowed) on the buyer's account. The clear key is returned once. */
export async function issueCustom(
  input: IssueCustomInput,
  ctx: Context,
): Promise<{ license: LicenseRow; key: string }> {
  const data = parse(issueSchema, input);
  const now = ctx.now ?? new Date();
  const limits = Object.fromEntries(
    Object.entries(data.limits ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<PlanLimits>;
  // Licenses follow their email: onto the team of the address's owner (created and invited if new).
  return issueForEmail(
    {
      plan: data.plan,
      email: data.email,
      company: data.company,
      limits,
      expiresAt: new Date(now.getTime() + data.days * DAY_MS),
    },
    ctx,
  );
}

// ---------------------------------------------------------------- audit log

export type AuditQuery = {
  action?: string | null;
  licenseId?: string | null;
  page?: number;
  pageSize?: number;
  /** False: no total (a list of the latest events needs none; counting millions of events costs). */
  withTotal?: boolean;
};

/** The audit log, newest first, with each event's license (masked key). */
export async function auditLog(query: AuditQuery = {}) {
  const db = getDb();
  const pageSize = Math.max(1, Math.min(200, query.pageSize ?? 50));
  const page = Math.max(1, Math.min(10_000, Math.floor(Number(query.page) || 1)));
  const where: SQL[] = [];
  if (query.action) where.push(eq(auditEvents.action, query.action.slice(0, 100)));
  if (query.licenseId) where.push(eq(auditEvents.licenseId, query.licenseId));
  const condition = where.length ? and(...where) : undefined;
  const [{ total } = { total: 0 }] =
    query.withTotal === false ? [] : await db.select({ total: count() }).from(auditEvents).where(condition);
  // The page's ids first, from the (action,) at, id index alone however deep the page, then their rows.
  const pageIds = db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(condition)
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  const items: AuditItem[] = await db
    .select({
      id: auditEvents.id,
      at: auditEvents.at,
      licenseId: auditEvents.licenseId,
      keyMasked: licenses.keyMasked,
      actor: auditEvents.actor,
      // A change made through the staff API: the token's creator, and the token's name.
      actorEmail: sql<
        string | null
      >`coalesce(${users.email}, (select u.email from staff_api_tokens t join users u on u.id = t.created_by where ${auditEvents.actor} like 'api-token:%' and t.id::text = substr(${auditEvents.actor}, 11)))`,
      actorName: sql<
        string | null
      >`(select t.name from staff_api_tokens t where ${auditEvents.actor} like 'api-token:%' and t.id::text = substr(${auditEvents.actor}, 11))`,
      action: auditEvents.action,
      detail: auditEvents.detail,
      ip: auditEvents.ip,
    })
    .from(auditEvents)
    .leftJoin(licenses, eq(licenses.id, auditEvents.licenseId))
    .leftJoin(
      users,
      sql`${auditEvents.actor} ~ '^(staff|user):' and ${users.id} = substr(${auditEvents.actor}, strpos(${auditEvents.actor}, ':') + 1)`,
    )
    .where(inArray(auditEvents.id, pageIds))
    .orderBy(desc(auditEvents.at), desc(auditEvents.id));
  return { items, total, page, pageCount: Math.max(1, Math.ceil(total / pageSize)) };
}

/**
 * The distinct audit actions, for the filter: a walk down audit_action_idx, one probe per action
 * (a loose index scan), not a pass over every event.
 */
export async function auditActions(): Promise<string[]> {
  const rows = await getDb().execute<{ action: string }>(sql`
    with recursive walk(action) as (
      (select action from audit_events order by action limit 1)
      union all
      select (select e.action from audit_events e where e.action > walk.action order by e.action limit 1)
        from walk where walk.action is not null
    )
    select action from walk where action is not null limit 200`);
  return [...rows].map((r) => r.action);
}

// ---------------------------------------------------------------- figures

export type MonthValue = { period: string; value: number };

/** The last `n` UTC months, oldest first (`YYYY-MM`). */
export function lastMonths(now: Date, n = 12): string[] {
  const out: string[] = [];
  for (let back = n - 1; back >= 0; back--) {
    out.push(usagePeriod(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1))));
  }
  return out;
}

function byMonth(periods: string[], rows: { period: string; value: number | string | null }[]): MonthValue[] {
  const map = new Map(rows.map((r) => [r.period, Number(r.value ?? 0)]));
  return periods.map((period) => ({ period, value: map.get(period) ?? 0 }));
}

/**
 * Revenue and usage for the overview, each one SQL aggregate. Months are UTC,
 * the last 12 including this one. ARR is the yearly price of every active,
 * unexpired paid license.
 */
export async function figures(now = new Date()) {
  const db = getDb();
  const periods = lastMonths(now, 12);
  const since = new Date(`${periods[0]}-01T00:00:00.000Z`);
  const nowIso = now.toISOString();
  const soonIso = new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS).toISOString();
  const month = (column: SQLWrapper) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM')`;

  const [revenue, byPlan, issued, conversion, tickets, totals] = await Promise.all([
    db.execute<{ period: string; value: number; payments: number }>(sql`
      select ${month(payments.createdAt)} as period, sum(${payments.amountCents})::float8 as value, count(*)::int as payments
      from ${payments} where ${payments.createdAt} >= ${since.toISOString()}::timestamptz
      group by 1`),
    db.execute<{ plan: string; n: number }>(sql`
      select ${licenses.plan} as plan, count(*)::int as n from ${licenses}
      where ${licenses.state} = 'active' and ${licenses.expiresAt} > ${nowIso}::timestamptz
      group by 1`),
    db.execute<{ period: string; trials: number; paid: number }>(sql`
      select ${month(licenses.issuedAt)} as period,
        count(*) filter (where ${licenses.plan} = 'trial')::int as trials,
        count(*) filter (where ${licenses.plan} <> 'trial')::int as paid
      from ${licenses} where ${licenses.issuedAt} >= ${since.toISOString()}::timestamptz
      group by 1`),
    db.execute<{ trials: number; converted: number }>(sql`
      with t as (
        select email, min(issued_at) as first_trial from licenses where plan = 'trial' group by email
      )
      select count(*)::int as trials,
        count(*) filter (where exists (
          select 1 from licenses p where p.email = t.email and p.plan <> 'trial' and p.issued_at >= t.first_trial
        ))::int as converted
      from t`),
    db.execute<{ period: string; value: number }>(sql`
      select period, sum(tickets)::float8 as value from usage_months
      where period >= ${periods[0]} and period <= ${periods[periods.length - 1]}
      group by 1`),
    db.execute<{ activations: number; expiring: number; revenue12: number; payments12: number }>(sql`
      select
        (select count(*)::int from activations where deactivated_at is null) as activations,
        (select count(*)::int from licenses where state = 'active' and plan <> 'trial'
           and expires_at > ${nowIso}::timestamptz and expires_at <= ${soonIso}::timestamptz) as expiring,
        (select coalesce(sum(amount_cents), 0)::float8 from payments where created_at >= ${since.toISOString()}::timestamptz) as revenue12,
        (select count(*)::int from payments where created_at >= ${since.toISOString()}::timestamptz) as payments12`),
  ]);

  const activeByPlan = Object.fromEntries(PLAN_IDS.map((id) => [id, 0])) as Record<PlanId, number>;
  for (const r of byPlan) if (isPlanId(r.plan)) activeByPlan[r.plan] = Number(r.n);
  const arrCents = PLAN_IDS.reduce((sum, id) => sum + activeByPlan[id] * PLANS[id].priceCents, 0);
  const newMap = new Map(issued.map((r) => [r.period, r]));
  const conv = conversion[0] ?? { trials: 0, converted: 0 };
  const total = totals[0] ?? { activations: 0, expiring: 0, revenue12: 0, payments12: 0 };
  const ticketsByMonth = byMonth(periods, tickets);

  return {
    periods,
    revenueByMonth: byMonth(periods, revenue),
    revenueLast12Cents: Number(total.revenue12),
    paymentsLast12: Number(total.payments12),
    activeByPlan,
    activeLicenses: PLAN_IDS.reduce((sum, id) => sum + activeByPlan[id], 0),
    activePaid: activeByPlan.starter + activeByPlan.professional + activeByPlan.enterprise,
    trialsActive: activeByPlan.trial,
    arrCents,
    newByMonth: periods.map((period) => ({
      period,
      trials: Number(newMap.get(period)?.trials ?? 0),
      paid: Number(newMap.get(period)?.paid ?? 0),
    })),
    conversion: {
      trials: Number(conv.trials),
      converted: Number(conv.converted),
      rate: Number(conv.trials) > 0 ? Number(conv.converted) / Number(conv.trials) : 0,
    },
    ticketsByMonth,
    ticketsThisMonth: ticketsByMonth[ticketsByMonth.length - 1]?.value ?? 0,
    activationsTotal: Number(total.activations),
    expiringIn30Days: Number(total.expiring),
  };
}

export type Figures = Awaited<ReturnType<typeof figures>>;

/** Below this many licenses (the planner's estimate) the overview counts live on every view. */
export const FIGURES_LIVE_BELOW = 100_000;
/** A snapshot younger than this is shown as it is; an older one is shown while a fresh one is computed. */
const FIGURES_FRESH_MS = 5 * 60_000;
const FIGURES_ID = "overview";

let refreshing: Promise<Figures> | null = null;

/** Computes the figures and stores them as the overview's snapshot (one computation at a time per process). */
export function refreshFigures(now = new Date()): Promise<Figures> {
  refreshing ??= (async () => {
    try {
      const computed = await figures(now);
      await getDb()
        .insert(figureSnapshots)
        .values({ id: FIGURES_ID, figures: computed, computedAt: now })
        .onConflictDoUpdate({
          target: figureSnapshots.id,
          set: { figures: computed, computedAt: now },
          // An older computation finishing late never replaces a newer one.
          setWhere: sql`${figureSnapshots.computedAt} < excluded.computed_at`,
        });
      return computed;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Whether the license table is big enough for the overview to read its snapshot. */
export async function figuresFromSnapshot(): Promise<boolean> {
  const [row] = await getDb().execute<{ n: number }>(
    sql`select reltuples::float8 as n from pg_class where oid = 'licenses'::regclass`,
  );
  return Number(row?.n ?? 0) >= FIGURES_LIVE_BELOW;
}

/**
 * The overview's figures. On a small database they are counted live. At scale (from
 * FIGURES_LIVE_BELOW licenses) counting takes seconds, so the overview reads the snapshot the job
 * runner refreshes every 5 minutes (`refresh-figures`): a fresh one as it is, an older one while a
 * new one is computed in the background, none at all computed now. `asOf` says when it was counted.
 */
export async function overviewFigures(now = new Date()): Promise<Figures & { asOf: Date | null }> {
  if (!(await figuresFromSnapshot())) return { ...(await figures(now)), asOf: null };
  const [snapshot] = await getDb().select().from(figureSnapshots).where(eq(figureSnapshots.id, FIGURES_ID));
  if (!snapshot) return { ...(await refreshFigures(now)), asOf: now };
  if (now.getTime() - snapshot.computedAt.getTime() > FIGURES_FRESH_MS) {
    refreshFigures(now).catch((error: unknown) => {
      console.error(
        `[staff] refreshing the overview figures failed: ${error instanceof Error ? error.message : error}`,
      );
    });
  }
  return { ...(snapshot.figures as Figures), asOf: snapshot.computedAt };
}

/** Paid licenses running out in the next 30 days, soonest first (the overview's follow-up list). */
export async function expiringSoon(now = new Date(), limit = 8) {
  const soon = new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS);
  return getDb()
    .select({
      id: licenses.id,
      plan: licenses.plan,
      email: licenses.email,
      company: licenses.company,
      keyMasked: licenses.keyMasked,
      expiresAt: licenses.expiresAt,
    })
    .from(licenses)
    .where(
      sql`${licenses.state} = 'active' and ${licenses.plan} <> 'trial' and ${licenses.expiresAt} > ${now.toISOString()}::timestamptz and ${licenses.expiresAt} <= ${soon.toISOString()}::timestamptz`,
    )
    .orderBy(licenses.expiresAt)
    .limit(limit);
}
