/**
 * Our copy of each subscription (`subscriptions`) and everything that changes
 * it. One function applies a change, whoever reports it: Stripe's webhook
 * (customer.subscription.*), checkout fulfilment, or the test-mode billing page.
 * Events are applied in the order Stripe created them (`last_event_at`): an
 * older event changes nothing, and an event that arrives before its checkout
 * is fulfilled is kept here for the license that checkout creates.
 * `licenses.cancel_at_period_end` is a mirror of the row, written only here.
 */
import { createHash } from "node:crypto";
import { and, desc, eq, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { type DbOrTx, getDb, type Tx } from "../db/client";
import { auditEvents, licenses, payments, subscriptions } from "../db/schema";
import { type Context, recordAudit } from "../license/audit";
import { LicenseError } from "../license/errors";
import { issueUpgrade } from "../license/fulfilment";
import { extendLicense, type LicenseRow } from "../license/licenses";
import { mailLicenseKey } from "../license/notify";
import { isPaidPlanId, type PaidPlanId, PLAN_ORDER, PLANS, type PlanId } from "../license/plans";
import { requireLicenseRole } from "../license/teams";
import { decryptKey } from "../license/vault";
import { config } from "../server/config";
import { idOf, isTestMode, priceLookupKey, stripeClient } from "./client";

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;
export const TEST_SUBSCRIPTION_PREFIX = "sub_test_local_";
export const TEST_INVOICE_PREFIX = "in_test_local_";
export type SubscriptionRow = typeof subscriptions.$inferSelect;

export type SubscriptionChange = {
  id: string;
  mode: "stripe" | "test";
  /** The `created` time of the event reporting it; null when not from an event (fulfilment). */
  eventAt: Date | null;
  // Undefined fields keep what the row has.
  status?: string;
  cancelAtPeriodEnd?: boolean;
  currentPeriodEnd?: Date | null;
  plan?: string | null;
  customerId?: string | null;
  scheduledPlan?: string | null;
};

export type AppliedChange = { applied: boolean; row: SubscriptionRow; licenses: string[] };

/** Applies one change to a subscription (created if new) and mirrors it onto its licenses. */
export async function applySubscriptionChange(
  tx: Tx,
  change: SubscriptionChange,
  ctx: Context,
): Promise<AppliedChange> {
  await tx
    .insert(subscriptions)
    .values({ id: change.id, mode: change.mode, status: change.status ?? "active" })
    .onConflictDoNothing({ target: subscriptions.id });
  const [current] = await tx.select().from(subscriptions).where(eq(subscriptions.id, change.id)).for("update");
  const row = current!;
  if (change.eventAt && row.lastEventAt && change.eventAt.getTime() < row.lastEventAt.getTime()) {
    await recordAudit(tx, ctx, {
      action: "subscription.stale_event_ignored",
      detail: {
        subscription: row.id,
        eventAt: change.eventAt.toISOString(),
        lastEventAt: row.lastEventAt.toISOString(),
      },
    });
    return { applied: false, row, licenses: [] };
  }
  const keep = <T>(next: T | undefined, now: T) => (next === undefined ? now : next);
  const [next] = await tx
    .update(subscriptions)
    .set({
      status: keep(change.status, row.status),
      cancelAtPeriodEnd: keep(change.cancelAtPeriodEnd, row.cancelAtPeriodEnd),
      currentPeriodEnd: keep(change.currentPeriodEnd, row.currentPeriodEnd),
      plan: keep(change.plan, row.plan),
      customerId: keep(change.customerId, row.customerId),
      scheduledPlan: keep(change.scheduledPlan, row.scheduledPlan),
      lastEventAt: change.eventAt ?? row.lastEventAt,
      updatedAt: new Date(),
    })
    .where(eq(subscriptions.id, row.id))
    .returning();
  const changed = await tx
    .update(licenses)
    .set({ cancelAtPeriodEnd: next!.cancelAtPeriodEnd, updatedAt: new Date() })
    .where(and(eq(licenses.stripeSubscriptionId, row.id), ne(licenses.cancelAtPeriodEnd, next!.cancelAtPeriodEnd)))
    .returning({ id: licenses.id, expiresAt: licenses.expiresAt });
  for (const license of changed) {
    await recordAudit(tx, ctx, {
      licenseId: license.id,
      action: next!.cancelAtPeriodEnd ? "subscription.cancel_scheduled" : "subscription.cancel_withdrawn",
      detail: { subscription: row.id, status: next!.status, licenseRunsUntil: license.expiresAt.toISOString() },
    });
  }
  return { applied: true, row: next!, licenses: changed.map((l) => l.id) };
}

/** `ticketzero_professional_yearly` → "professional". */
function planOfLookupKey(lookupKey: string | null | undefined): PaidPlanId | undefined {
  const plan = lookupKey?.match(/^ticketzero_([a-z]+)_yearly$/)?.[1];
  return isPaidPlanId(plan) ? plan : undefined;
}

/** How many times this license already did `action` (a new attempt after a failed one gets a new idempotency key). */
async function auditCount(licenseId: string, actions: string[]): Promise<number> {
  const [row] = await getDb()
    .select({ n: sql<number>`count(*)::int` })
    .from(auditEvents)
    .where(and(eq(auditEvents.licenseId, licenseId), inArray(auditEvents.action, actions)));
  return row?.n ?? 0;
}

/** The change a Stripe subscription object reports. */
export function changeFromStripe(subscription: Stripe.Subscription, eventAt: Date): SubscriptionChange {
  const item = subscription.items?.data?.[0] as
    | (Stripe.SubscriptionItem & { current_period_end?: number; price?: Stripe.Price })
    | undefined;
  const periodEnd =
    item?.current_period_end ?? (subscription as { current_period_end?: number }).current_period_end ?? null;
  // The price is what Stripe bills (an upgrade or a schedule's phase changes it; the metadata stays as checkout set it).
  const plan = item?.price?.metadata?.plan ?? planOfLookupKey(item?.price?.lookup_key) ?? subscription.metadata?.plan;
  return {
    id: subscription.id,
    mode: "stripe",
    eventAt,
    status: subscription.status,
    cancelAtPeriodEnd: Boolean(subscription.cancel_at_period_end || subscription.cancel_at),
    ...(periodEnd ? { currentPeriodEnd: new Date(periodEnd * 1000) } : {}),
    ...(isPaidPlanId(plan) ? { plan } : {}),
    ...(subscription.customer ? { customerId: idOf(subscription.customer) } : {}),
  };
}

/**
 * Fulfilment's part: the row for a newly paid subscription, keeping whatever
 * early events already recorded (their cancel state then reaches the license).
 */
export async function subscriptionFromFulfilment(
  tx: Tx,
  input: { id: string; mode: "stripe" | "test"; plan: string; customerId: string | null; periodEnd: Date },
  ctx: Context,
): Promise<AppliedChange> {
  const [existing] = await tx.select().from(subscriptions).where(eq(subscriptions.id, input.id));
  return applySubscriptionChange(
    tx,
    {
      id: input.id,
      mode: input.mode,
      eventAt: null,
      plan: existing?.plan ?? input.plan,
      customerId: existing?.customerId ?? input.customerId,
      currentPeriodEnd: existing?.currentPeriodEnd ?? input.periodEnd,
      // The new license takes the stored state (an early "cancel at period end" included).
      cancelAtPeriodEnd: existing?.cancelAtPeriodEnd ?? false,
    },
    ctx,
  );
}

export async function subscriptionById(id: string | null | undefined, db: DbOrTx = getDb()) {
  if (!id) return null;
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
  return row ?? null;
}

// ---------------------------------------------------------------- payments from invoices

export type InvoicePayment = {
  invoiceId: string;
  license: LicenseRow;
  kind: "renewal" | "proration";
  amountCents: number;
  currency: string;
  receiptUrl: string | null;
  mode: "stripe" | "test";
  subscriptionId: string | null;
  customerId: string | null;
  upgradeFromLicenseId?: string | null;
  at: Date;
};

/** Records a paid invoice as a payment, once per invoice id. False when it was already recorded. */
export async function recordInvoicePayment(tx: Tx, p: InvoicePayment): Promise<boolean> {
  const [inserted] = await tx
    .insert(payments)
    .values({
      checkoutSessionId: p.invoiceId,
      licenseId: p.license.id,
      plan: p.license.plan,
      email: p.license.email,
      company: p.license.company,
      amountCents: p.amountCents,
      currency: p.currency,
      mode: p.mode,
      stripeCustomerId: p.customerId,
      stripeSubscriptionId: p.subscriptionId,
      stripeInvoiceId: p.mode === "stripe" ? p.invoiceId : null,
      upgradeFromLicenseId: p.upgradeFromLicenseId ?? null,
      renewLicenseId: p.kind === "renewal" ? p.license.id : null,
      kind: p.kind,
      receiptUrl: p.receiptUrl,
      createdAt: p.at,
    })
    .onConflictDoNothing({ target: payments.checkoutSessionId })
    .returning({ id: payments.checkoutSessionId });
  return Boolean(inserted);
}

/**
 * A paid renewal invoice: the payment row, the new expiry, the subscription's
 * period, and a downgrade scheduled for this renewal (the lower tier's key,
 * the old one kept through the grace period). Once per invoice.
 */
export async function applyRenewal(
  tx: Tx,
  input: Omit<InvoicePayment, "kind" | "at"> & { periodEnd: Date | null },
  ctx: Context,
): Promise<{ recorded: boolean; license: LicenseRow; until: Date; downgradedTo: string | null; key?: string }> {
  const now = ctx.now ?? new Date();
  // Locked and read again: two deliveries of one renewal (a retry, a double click in test mode) run
  // one after the other, and the second finds the payment and changes nothing.
  const [locked] = await tx.select().from(licenses).where(eq(licenses.id, input.license.id)).for("update");
  let license = locked ?? input.license;
  const [already] = await tx
    .select({ id: payments.checkoutSessionId })
    .from(payments)
    .where(eq(payments.checkoutSessionId, input.invoiceId));
  if (already) return { recorded: false, license, until: license.expiresAt, downgradedTo: null };
  const fallback = Math.max(now.getTime(), license.expiresAt.getTime()) + YEAR_MS;
  const periodEnd = input.periodEnd?.getTime() ?? 0;
  const until = new Date(Math.max(periodEnd > now.getTime() ? periodEnd : fallback, license.expiresAt.getTime()));
  const subscription = await subscriptionById(input.subscriptionId, tx);
  const scheduled = subscription?.scheduledPlan;
  let key: string | undefined;
  let downgradedTo: string | null = null;
  if (scheduled && isPaidPlanId(scheduled) && scheduled !== license.plan && license.state === "active") {
    const issued = await issueUpgrade(
      tx,
      license,
      {
        plan: scheduled,
        email: license.email,
        company: license.company,
        teamId: license.teamId,
        stripeSubscriptionId: license.stripeSubscriptionId,
        expiresAt: until,
      },
      ctx,
      { invoice: input.invoiceId, reason: "downgrade at renewal" },
    );
    license = issued.license;
    key = issued.key;
    downgradedTo = scheduled;
  }
  const recorded = await recordInvoicePayment(tx, { ...input, license, kind: "renewal", at: now });
  if (!recorded) return { recorded, license, until, downgradedTo: null };
  if (!downgradedTo && until.getTime() > license.expiresAt.getTime()) await extendLicense(license.id, until, ctx, tx);
  if (subscription) {
    await applySubscriptionChange(
      tx,
      {
        id: subscription.id,
        mode: subscription.mode as "stripe" | "test",
        eventAt: null,
        status: "active",
        currentPeriodEnd: until,
        ...(downgradedTo ? { plan: downgradedTo, scheduledPlan: null } : {}),
      },
      ctx,
    );
  }
  await recordAudit(tx, ctx, {
    licenseId: license.id,
    action: "payment.renewal",
    detail: {
      invoice: input.invoiceId,
      subscription: input.subscriptionId,
      amountCents: input.amountCents,
      currency: input.currency,
      until: until.toISOString(),
      ...(downgradedTo ? { downgradedTo, from: input.license.id } : {}),
    },
  });
  return {
    recorded,
    license: (await tx.select().from(licenses).where(eq(licenses.id, license.id)))[0]!,
    until,
    downgradedTo,
    key,
  };
}

// ---------------------------------------------------------------- what the billing card shows

export type PaymentEntry = {
  id: string;
  at: Date;
  kind: string;
  plan: string;
  amountCents: number;
  currency: string;
  /** Stripe's hosted invoice page; null in test mode (the portal renders a receipt). */
  receiptUrl: string | null;
  mode: string;
};

/** The license and the ones it replaced by upgrade (their payments are its history too). */
async function lineageOf(licenseId: string, db: DbOrTx): Promise<string[]> {
  const ids = [licenseId];
  let frontier = [licenseId];
  for (let depth = 0; depth < 8 && frontier.length; depth++) {
    const older = await db.select({ id: licenses.id }).from(licenses).where(inArray(licenses.supersededBy, frontier));
    frontier = older.map((r) => r.id).filter((id) => !ids.includes(id));
    ids.push(...frontier);
  }
  return ids;
}

export type BillingSummary = {
  payments: PaymentEntry[];
  subscription: SubscriptionRow | null;
  /** Null when nothing will be charged (no subscription, or cancelled at period end). */
  nextCharge: { at: Date; amountCents: number; plan: PaidPlanId } | null;
};

export async function billingSummary(license: LicenseRow, db: DbOrTx = getDb()): Promise<BillingSummary> {
  const ids = await lineageOf(license.id, db);
  const rows = await db
    .select()
    .from(payments)
    .where(inArray(payments.licenseId, ids))
    .orderBy(desc(payments.createdAt))
    .limit(100);
  const subscription = await subscriptionById(license.stripeSubscriptionId, db);
  const live = subscription && ["active", "trialing", "past_due"].includes(subscription.status);
  const plan = (subscription?.scheduledPlan ?? subscription?.plan ?? license.plan) as PlanId;
  const nextCharge =
    live && !subscription.cancelAtPeriodEnd && isPaidPlanId(plan)
      ? { at: subscription.currentPeriodEnd ?? license.expiresAt, amountCents: PLANS[plan].priceCents, plan }
      : null;
  return {
    payments: rows.map((p) => ({
      id: p.checkoutSessionId,
      at: p.createdAt,
      kind: p.kind,
      plan: p.plan,
      amountCents: p.amountCents,
      currency: p.currency,
      receiptUrl: p.receiptUrl,
      mode: p.mode,
    })),
    subscription,
    nextCharge,
  };
}

/** One payment for its receipt page, if the user is on its license's team. */
export async function receiptFor(userId: string, paymentId: unknown) {
  if (typeof paymentId !== "string" || paymentId.length > 255) throw notFoundReceipt();
  const [payment] = await getDb().select().from(payments).where(eq(payments.checkoutSessionId, paymentId));
  if (!payment?.licenseId) throw notFoundReceipt();
  try {
    const { license } = await requireLicenseRole(userId, payment.licenseId, "viewer");
    return { payment, license };
  } catch {
    throw notFoundReceipt();
  }
}
const notFoundReceipt = () => new LicenseError("NOT_FOUND", "That receipt is not on your account.");

// ---------------------------------------------------------------- customer actions

/** Where "Manage billing" goes: a Stripe Customer Portal session, or the local test-mode page. */
export async function billingPortalUrl(userId: string, licenseId: unknown, ctx: Context): Promise<string> {
  const { license, teamId } = await requireLicenseRole(userId, licenseId, "admin");
  const subscription = await subscriptionById(license.stripeSubscriptionId);
  const returnUrl = `${config().publicUrl}/admin/license`;
  let url: string;
  if (isTestMode() || !subscription || subscription.mode === "test") {
    url = `/admin/license/billing?license=${encodeURIComponent(license.id)}`;
  } else {
    const customer = subscription.customerId ?? (await customerOfLicense(license.id));
    if (!customer) throw new LicenseError("CONFLICT", "This license has no Stripe customer to manage yet.");
    const session = await stripeClient().billingPortal.sessions.create({ customer, return_url: returnUrl });
    url = session.url;
  }
  await recordAudit(
    getDb(),
    { ...ctx, teamId },
    {
      licenseId: license.id,
      action: "billing.portal_opened",
      detail: { mode: url.startsWith("/") ? "test" : "stripe" },
    },
  );
  return url;
}

async function customerOfLicense(licenseId: string): Promise<string | null> {
  const [row] = await getDb()
    .select({ customer: payments.stripeCustomerId })
    .from(payments)
    .where(and(eq(payments.licenseId, licenseId), sql`${payments.stripeCustomerId} is not null`))
    .limit(1);
  return row?.customer ?? null;
}

async function testSubscriptionOf(userId: string, licenseId: unknown) {
  const access = await requireLicenseRole(userId, licenseId, "admin");
  const subscription = await subscriptionById(access.license.stripeSubscriptionId);
  if (!subscription) throw new LicenseError("CONFLICT", "This license has no subscription to change.");
  if (subscription.mode !== "test") {
    throw new LicenseError("CONFLICT", "This subscription is billed by Stripe: use Manage billing to change it.");
  }
  return { ...access, subscription };
}

/**
 * Test mode's "Cancel at period end" / "Resume auto-renew": the same change
 * the webhook applies for Stripe's customer.subscription.updated.
 */
export async function setAutoRenew(userId: string, licenseId: unknown, renew: boolean, ctx: Context) {
  const { license, teamId, subscription } = await testSubscriptionOf(userId, licenseId);
  return getDb().transaction(async (tx) => {
    const result = await applySubscriptionChange(
      tx,
      { id: subscription.id, mode: "test", eventAt: ctx.now ?? new Date(), cancelAtPeriodEnd: !renew },
      { ...ctx, teamId },
    );
    await recordAudit(
      tx,
      { ...ctx, teamId },
      {
        licenseId: license.id,
        action: renew ? "billing.auto_renew_resumed" : "billing.auto_renew_cancelled",
        detail: { subscription: subscription.id, mode: "test" },
      },
    );
    return result.row;
  });
}

/** Test mode: the renewal Stripe would charge at the period end, now (for demos and tests). */
export async function simulateTestRenewal(userId: string, licenseId: unknown, ctx: Context) {
  const { license, teamId, subscription } = await testSubscriptionOf(userId, licenseId);
  if (subscription.cancelAtPeriodEnd) {
    throw new LicenseError("CONFLICT", "Auto-renew is off: resume it first, or the renewal would not be charged.");
  }
  const now = ctx.now ?? new Date();
  const plan = (subscription.scheduledPlan ?? license.plan) as PaidPlanId;
  const periodEnd = new Date(Math.max(now.getTime(), license.expiresAt.getTime()) + YEAR_MS);
  return getDb().transaction((tx) =>
    applyRenewal(
      tx,
      {
        invoiceId: `${TEST_INVOICE_PREFIX}${createHash("sha256").update(`${subscription.id}:${license.expiresAt.toISOString()}`).digest("hex").slice(0, 24)}`,
        license,
        amountCents: PLANS[plan].priceCents,
        currency: "usd",
        receiptUrl: null,
        mode: "test",
        subscriptionId: subscription.id,
        customerId: null,
        periodEnd,
      },
      { ...ctx, teamId, now },
    ),
  );
}

// ---------------------------------------------------------------- plan changes on a subscription

export type ProratedUpgrade = {
  license: LicenseRow;
  key: string;
  previousLicenseId: string;
  invoiceId: string;
  amountCents: number;
  created: boolean;
};

/** Test mode's credit for unused time: the price difference for the share of the period left. */
export function testProration(from: PaidPlanId, to: PaidPlanId, periodEnd: Date, now: Date): number {
  const left = Math.min(1, Math.max(0, (periodEnd.getTime() - now.getTime()) / YEAR_MS));
  return Math.max(0, Math.round((PLANS[to].priceCents - PLANS[from].priceCents) * left));
}

async function priceIdOf(plan: PaidPlanId): Promise<string> {
  const lookupKey = priceLookupKey(plan);
  const { data } = await stripeClient().prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 });
  if (!data[0]) throw new Error(`No active Stripe price with lookup key ${lookupKey}: run \`npm run stripe:setup\``);
  return data[0].id;
}

/** True when an upgrade of this license changes its subscription (prorated) instead of a new checkout. */
export async function upgradesBySubscription(license: LicenseRow): Promise<boolean> {
  const subscription = await subscriptionById(license.stripeSubscriptionId);
  if (!subscription || !["active", "trialing"].includes(subscription.status)) return false;
  return subscription.mode === (isTestMode() ? "test" : "stripe");
}

/**
 * Upgrades by changing the subscription: Stripe invoices the prorated
 * difference at once (test mode computes it here), the new tier's key is
 * issued and the old one superseded with a grace period (the upgrade code of
 * checkout fulfilment). Once: a retry or a double click reuses Stripe's
 * idempotent answer, and the invoice id is the payment's key.
 */
export async function upgradeSubscription(
  userId: string,
  licenseId: unknown,
  planInput: string,
  ctx: Context,
): Promise<ProratedUpgrade> {
  const { license, teamId } = await requireLicenseRole(userId, licenseId, "admin");
  if (!isPaidPlanId(planInput) || PLAN_ORDER.indexOf(planInput) <= PLAN_ORDER.indexOf(license.plan as PlanId)) {
    throw new LicenseError("VALIDATION_FAILED", "Choose a plan above your current one to upgrade.", {
      details: { fields: { plan: "Choose a higher plan." } },
    });
  }
  const plan = planInput;
  if (license.state !== "active") {
    throw new LicenseError("CONFLICT", "This license was already replaced by an upgrade; manage the new license.");
  }
  const subscription = await subscriptionById(license.stripeSubscriptionId);
  if (!subscription) throw new LicenseError("CONFLICT", "This license has no subscription to upgrade.");
  const now = ctx.now ?? new Date();
  // One upgrade in flight per subscription, across processes: a second one (another plan, another tab)
  // is refused before it reaches Stripe, so two price changes and two charges cannot both happen.
  if (!(await claimUpgrade(subscription.id, now))) {
    throw new LicenseError("CONFLICT", "An upgrade of this license is already under way. Reload in a moment.", {
      details: { reason: "UPGRADE_IN_PROGRESS" },
    });
  }
  try {
    return await upgradeClaimed(license, teamId, plan, subscription, ctx, now);
  } finally {
    await getDb()
      .update(subscriptions)
      .set({ upgradeStartedAt: null })
      .where(eq(subscriptions.id, subscription.id))
      .catch(() => {}); // a stale claim expires on its own (UPGRADE_CLAIM_MS)
  }
}

/** A claim left by a crashed process expires after this. */
const UPGRADE_CLAIM_MS = 2 * 60_000;

async function claimUpgrade(subscriptionId: string, now: Date): Promise<boolean> {
  const [claimed] = await getDb()
    .update(subscriptions)
    .set({ upgradeStartedAt: now })
    .where(
      and(
        eq(subscriptions.id, subscriptionId),
        or(
          isNull(subscriptions.upgradeStartedAt),
          lt(subscriptions.upgradeStartedAt, new Date(now.getTime() - UPGRADE_CLAIM_MS)),
        ),
      ),
    )
    .returning({ id: subscriptions.id });
  return Boolean(claimed);
}

async function upgradeClaimed(
  license: LicenseRow,
  teamId: string,
  plan: PaidPlanId,
  subscription: NonNullable<Awaited<ReturnType<typeof subscriptionById>>>,
  ctx: Context,
  now: Date,
): Promise<ProratedUpgrade> {
  const ref = `${license.id}:${plan}`;
  let invoiceId: string;
  let amountCents: number;
  let currency = "usd";
  let receiptUrl: string | null = null;
  let periodEnd = subscription.currentPeriodEnd ?? license.expiresAt;
  if (subscription.mode === "test") {
    invoiceId = `${TEST_INVOICE_PREFIX}${createHash("sha256").update(ref).digest("hex").slice(0, 24)}`;
    amountCents = testProration(license.plan as PaidPlanId, plan, periodEnd, now);
  } else {
    const stripe = stripeClient();
    const current = await stripe.subscriptions.retrieve(subscription.id);
    const item = current.items.data[0];
    if (!item) throw new Error(`subscription ${subscription.id} has no item`);
    // A downgrade scheduled for the renewal holds the subscription in a schedule; upgrading replaces it.
    const scheduleId = idOf(current.schedule);
    if (scheduleId) await stripe.subscriptionSchedules.release(scheduleId);
    // After a declined attempt, a new key: Stripe would answer the same one with the first (declined) answer.
    const attempt = await auditCount(license.id, ["billing.upgrade_payment_failed"]);
    // pending_if_incomplete: Stripe applies the new price only if the proration invoice is paid now;
    // otherwise the subscription keeps its price and reports a pending_update (metadata is not allowed here).
    const updated = await stripe.subscriptions.update(
      subscription.id,
      {
        items: [{ id: item.id, price: await priceIdOf(plan) }],
        proration_behavior: "always_invoice",
        payment_behavior: "pending_if_incomplete",
        expand: ["latest_invoice"],
      },
      { idempotencyKey: `tz-upgrade-${ref}${attempt ? `:retry-${attempt}` : ""}` },
    );
    const invoice = updated.latest_invoice as Stripe.Invoice | string | null;
    if (!invoice || typeof invoice === "string" || !invoice.id) throw new Error("Stripe returned no proration invoice");
    if (updated.pending_update || invoice.status !== "paid") {
      await declinedUpgrade(license, plan, updated, invoice, { ...ctx, teamId });
    }
    invoiceId = invoice.id;
    amountCents = invoice.amount_paid ?? 0;
    currency = invoice.currency ?? "usd";
    receiptUrl = invoice.hosted_invoice_url ?? null;
    const change = changeFromStripe(updated, now);
    periodEnd = change.currentPeriodEnd ?? periodEnd;
  }

  const done = await getDb().transaction(async (tx) => {
    const [previous] = await tx.select().from(licenses).where(eq(licenses.id, license.id)).for("update");
    const [paid] = await tx.select().from(payments).where(eq(payments.checkoutSessionId, invoiceId));
    // Recorded on the new license: this upgrade already happened (a retry). Recorded on this one: Stripe's
    // invoice.paid webhook came first; the upgrade still issues the key and moves the payment to it.
    if (paid?.licenseId && paid.licenseId !== license.id)
      return { licenseId: paid.licenseId, key: null, created: false };
    if (previous?.state !== "active") {
      throw new LicenseError("CONFLICT", "This license was already replaced by an upgrade; manage the new license.");
    }
    const issued = await issueUpgrade(
      tx,
      previous,
      {
        plan,
        email: previous.email,
        company: previous.company,
        teamId: previous.teamId,
        stripeSubscriptionId: subscription.id,
        expiresAt: previous.expiresAt,
      },
      { ...ctx, teamId, now },
      { invoice: invoiceId, reason: "prorated upgrade" },
    );
    if (paid) await tx.delete(payments).where(eq(payments.checkoutSessionId, invoiceId));
    await recordInvoicePayment(tx, {
      invoiceId,
      license: issued.license,
      kind: "proration",
      amountCents,
      currency,
      receiptUrl,
      mode: subscription.mode as "stripe" | "test",
      subscriptionId: subscription.id,
      customerId: subscription.customerId,
      upgradeFromLicenseId: previous.id,
      at: now,
    });
    await applySubscriptionChange(
      tx,
      {
        id: subscription.id,
        mode: subscription.mode as "stripe" | "test",
        eventAt: null,
        plan,
        scheduledPlan: null,
        currentPeriodEnd: periodEnd,
      },
      { ...ctx, teamId },
    );
    await recordAudit(
      tx,
      { ...ctx, teamId },
      {
        licenseId: issued.license.id,
        action: "payment.proration",
        detail: { invoice: invoiceId, from: previous.plan, to: plan, amountCents, currency, mode: subscription.mode },
      },
    );
    return { licenseId: issued.license.id, key: issued.key, created: true };
  });
  const [row] = await getDb().select().from(licenses).where(eq(licenses.id, done.licenseId));
  const key = done.key ?? decryptKey(row!.keyCiphertext);
  if (done.created && subscription.mode === "stripe") {
    // For the dashboard and the Customer Portal: the plan now billed (not allowed on the pending update itself).
    await stripeClient()
      .subscriptions.update(
        subscription.id,
        { metadata: { plan, upgradeFrom: license.id } },
        { idempotencyKey: `tz-upgrade-meta-${invoiceId}` },
      )
      .catch((error) =>
        console.error(`[billing] subscription metadata:`, error instanceof Error ? error.message : error),
      );
  }
  if (done.created) {
    await mailLicenseKey(row!.email, key, PLANS[plan].name).catch((error) =>
      console.error(`[billing] upgrade mail failed:`, error instanceof Error ? error.message : error),
    );
  }
  return { license: row!, key, previousLicenseId: license.id, invoiceId, amountCents, created: done.created };
}

/**
 * The proration was not paid (declined card, authentication needed): Stripe kept the old price. Its open
 * invoice is voided, which discards the pending update, so paying that invoice later cannot change the
 * plan without a new key here. Nothing else changes; the customer is told what to do.
 */
async function declinedUpgrade(
  license: LicenseRow,
  plan: PaidPlanId,
  updated: Stripe.Subscription,
  invoice: Stripe.Invoice,
  ctx: Context,
): Promise<never> {
  if (invoice.status === "open") {
    await stripeClient()
      .invoices.voidInvoice(invoice.id!)
      .catch((error) => console.error(`[billing] void ${invoice.id}:`, error instanceof Error ? error.message : error));
  }
  await recordAudit(getDb(), ctx, {
    licenseId: license.id,
    action: "billing.upgrade_payment_failed",
    detail: {
      subscription: updated.id,
      invoice: invoice.id,
      invoiceStatus: invoice.status,
      pendingUpdate: Boolean(updated.pending_update),
      from: license.plan,
      to: plan,
    },
  });
  throw new LicenseError(
    "CONFLICT",
    `The prorated charge for ${PLANS[plan].name} was declined, so your plan did not change and nothing was charged. Update your payment method in Manage billing, then upgrade again.`,
    { details: { reason: "PAYMENT_DECLINED" } },
  );
}

/**
 * A downgrade waits for the period end: the subscription bills the lower
 * price from the next renewal, and that renewal issues the lower tier's key
 * (applyRenewal). In Stripe mode a subscription schedule makes the change
 * (Stripe's documented way to change a price at a future date): this period
 * on the current price, the next on the lower one, no proration. Choosing
 * the current plan again releases the schedule (the scheduled change is gone).
 */
export async function scheduleDowngrade(userId: string, licenseId: unknown, planInput: string, ctx: Context) {
  const { license, teamId } = await requireLicenseRole(userId, licenseId, "admin");
  const subscription = await subscriptionById(license.stripeSubscriptionId);
  if (!subscription) throw new LicenseError("CONFLICT", "This license has no subscription to change.");
  if (license.state !== "active") {
    throw new LicenseError("CONFLICT", "This license was replaced or is not active; manage the current license.");
  }
  const cancel = planInput === license.plan;
  if (
    !cancel &&
    (!isPaidPlanId(planInput) || PLAN_ORDER.indexOf(planInput) >= PLAN_ORDER.indexOf(license.plan as PlanId))
  ) {
    throw new LicenseError("VALIDATION_FAILED", "Choose a plan below your current one.", {
      details: { fields: { plan: "Choose a lower plan." } },
    });
  }
  if (!cancel && (subscription.cancelAtPeriodEnd || !["active", "trialing"].includes(subscription.status))) {
    throw new LicenseError("CONFLICT", "Auto-renew is off: turn it back on in Manage billing to change the plan.");
  }
  const target = planInput as PaidPlanId;
  let scheduleId: string | null = null;
  if (subscription.mode === "stripe") {
    const stripe = stripeClient();
    const current = await stripe.subscriptions.retrieve(subscription.id);
    const item = current.items.data[0];
    if (!item) throw new Error(`subscription ${subscription.id} has no item`);
    const attached = idOf(current.schedule);
    if (cancel) {
      if (attached) await stripe.subscriptionSchedules.release(attached);
    } else {
      const n = await auditCount(license.id, ["billing.downgrade_scheduled", "billing.downgrade_cancelled"]);
      const schedule = attached
        ? await stripe.subscriptionSchedules.retrieve(attached)
        : await stripe.subscriptionSchedules.create(
            { from_subscription: subscription.id },
            { idempotencyKey: `tz-downgrade-${license.id}:${n}` },
          );
      const phase = schedule.phases[0];
      if (!phase) throw new Error(`subscription schedule ${schedule.id} has no phase`);
      await stripe.subscriptionSchedules.update(schedule.id, {
        end_behavior: "release",
        phases: [
          {
            items: [{ price: idOf(item.price)!, quantity: item.quantity ?? 1 }],
            start_date: phase.start_date,
            end_date: phase.end_date,
          },
          {
            items: [{ price: await priceIdOf(target), quantity: item.quantity ?? 1 }],
            duration: { interval: "year", interval_count: 1 },
            proration_behavior: "none",
          },
        ],
      });
      scheduleId = schedule.id;
    }
  }
  return getDb().transaction(async (tx) => {
    const result = await applySubscriptionChange(
      tx,
      {
        id: subscription.id,
        mode: subscription.mode as "stripe" | "test",
        eventAt: null,
        scheduledPlan: cancel ? null : target,
      },
      { ...ctx, teamId },
    );
    await recordAudit(
      tx,
      { ...ctx, teamId },
      {
        licenseId: license.id,
        action: cancel ? "billing.downgrade_cancelled" : "billing.downgrade_scheduled",
        detail: {
          subscription: subscription.id,
          from: license.plan,
          to: cancel ? null : target,
          ...(scheduleId ? { schedule: scheduleId } : {}),
        },
      },
    );
    return result.row;
  });
}
