/**
 * Fulfilment of a paid checkout: one license per paid session, however often
 * and however concurrently it runs (webhook retries, the success page, both at
 * once). The `payments` primary key (the Checkout Session id) decides: the one
 * transaction that inserts the row issues (or upgrades, or renews) the license
 * and mails the key after commit; every other caller waits on that key, then
 * reads the winner's license.
 */
import { and, eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { getDb, type Tx } from "../db/client";
import { checkoutSessions, licenses, payments } from "../db/schema";
import { config } from "../server/config";
import { sendMail } from "../server/mail";
import { isBuyerOf } from "../stripe/buyer";
import { isTestSessionId, SESSION_ID, TEST_SESSION_PREFIX } from "../stripe/checkout";
import { assertTestModeAllowed, idOf, isTestMode, stripeClient } from "../stripe/client";
import { applySubscriptionChange, subscriptionFromFulfilment, TEST_SUBSCRIPTION_PREFIX } from "../stripe/subscriptions";
import { type Context, recordAudit } from "./audit";
import { LicenseError } from "./errors";
import { formatDate } from "./format";
import { type IssueInput, issueLicense, type LicenseRow, normaliseEmail } from "./licenses";
import { mailLicenseKey } from "./notify";
import { isPaidPlanId, type PaidPlanId, PLANS } from "./plans";
import { teamForEmail } from "./teams";
import { decryptKey } from "./vault";

const DAY_MS = 86_400_000;
export const RENEWAL_DAYS = 365;
/** A test-mode session can be paid for this long after it was started (Stripe's sessions last 24 h too). */
export const TEST_SESSION_TTL_MS = DAY_MS;

export type FulfilmentSource = "webhook" | "success_page" | "test";
export type FulfilmentKind = "new" | "upgrade" | "renewal";

export type FulfilmentResult = {
  license: LicenseRow;
  /** The clear key (decrypted from the stored ciphertext when another run issued it). */
  key: string;
  /** True only for the one run that fulfilled the session (and mailed the key). */
  created: boolean;
  kind: FulfilmentKind;
  plan: PaidPlanId;
  email: string;
  /** When the payment was recorded (the success page shows the key for 7 days after). */
  paidAt: Date;
  /** The upgraded or renewed license, when there is one. */
  previousLicenseId: string | null;
};

/** What a verified, paid session is for: read from our `checkout_sessions` row and the Stripe session. */
type PaidOrder = {
  sessionId: string;
  mode: "stripe" | "test";
  plan: PaidPlanId;
  email: string;
  company: string | null;
  accountId: string | null;
  /** The team a new license joins (the signed-in buyer's); null: the team of the email's owner. */
  teamId: string | null;
  upgradeFromLicenseId: string | null;
  renewLicenseId: string | null;
  amountCents: number;
  currency: string;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  stripeInvoiceId: string | null;
  stripePaymentIntentId: string | null;
  /** Stripe's hosted page for the first invoice; null in test mode. */
  receiptUrl: string | null;
};

const notFound = (reason: string, message = "We could not find that checkout.") =>
  new LicenseError("NOT_FOUND", message, { details: { reason } });

const notPaid = () =>
  new LicenseError("CONFLICT", "This checkout has not been paid (yet). Complete the payment, then come back.", {
    details: { reason: "NOT_PAID" },
  });

const uuidOrNull = (value: string | null | undefined) =>
  value && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? value : null;

/** A Stripe session counts as paid when its payment is settled (not merely "complete" with money pending). */
export function isStripeSessionPaid(session: Pick<Stripe.Checkout.Session, "payment_status" | "status">): boolean {
  return session.payment_status === "paid" || session.payment_status === "no_payment_required";
}

async function loadSessionRow(sessionId: string) {
  const [row] = await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.id, sessionId));
  return row ?? null;
}

/** Verifies the session is paid and says what it bought. Throws NOT_FOUND / CONFLICT (not paid). */
async function verifyPaidOrder(sessionId: string): Promise<PaidOrder> {
  const row = await loadSessionRow(sessionId);
  if (isTestSessionId(sessionId) || row?.mode === "test") {
    assertTestModeAllowed();
    if (!row) throw notFound("UNKNOWN_SESSION");
    if (row.status !== "paid") throw notPaid();
    if (!isPaidPlanId(row.plan)) throw notFound("UNKNOWN_PLAN");
    return {
      sessionId,
      mode: "test",
      plan: row.plan,
      email: row.email,
      company: row.company,
      accountId: row.accountId,
      teamId: row.teamId,
      upgradeFromLicenseId: row.upgradeFromLicenseId,
      renewLicenseId: row.renewLicenseId,
      amountCents: PLANS[row.plan].priceCents,
      currency: "usd",
      stripeCustomerId: null,
      // Test mode keeps a local subscription (auto-renew, cancel/resume, prorated upgrades) like Stripe's.
      stripeSubscriptionId: `${TEST_SUBSCRIPTION_PREFIX}${sessionId.slice(TEST_SESSION_PREFIX.length)}`,
      stripeInvoiceId: null,
      stripePaymentIntentId: null,
      receiptUrl: null,
    };
  }

  if (isTestMode()) throw notFound("STRIPE_NOT_CONFIGURED");
  let session: Stripe.Checkout.Session;
  try {
    session = await stripeClient().checkout.sessions.retrieve(sessionId, { expand: ["invoice"] });
  } catch (error) {
    const e = error as { statusCode?: number; code?: string };
    if (e.statusCode === 404 || e.code === "resource_missing") throw notFound("UNKNOWN_SESSION");
    throw error;
  }
  if (!isStripeSessionPaid(session)) throw notPaid();
  const meta = session.metadata ?? {};
  const plan = row?.plan ?? meta.plan;
  if (!isPaidPlanId(plan)) throw notFound("NOT_A_LICENSE_CHECKOUT", "This checkout did not buy a TicketZero license.");
  const email = row?.email ?? session.customer_details?.email ?? session.customer_email;
  if (!email) throw notFound("NO_EMAIL", "This checkout has no customer email address.");
  return {
    sessionId,
    mode: "stripe",
    plan,
    email: normaliseEmail(email),
    company: row?.company ?? meta.company ?? null,
    accountId: row?.accountId ?? meta.accountId ?? null,
    teamId: row?.teamId ?? uuidOrNull(meta.teamId),
    upgradeFromLicenseId: row?.upgradeFromLicenseId ?? uuidOrNull(meta.upgradeFrom),
    renewLicenseId: row?.renewLicenseId ?? uuidOrNull(meta.renewOf),
    amountCents: session.amount_total ?? PLANS[plan].priceCents,
    currency: session.currency ?? "usd",
    stripeCustomerId: idOf(session.customer),
    stripeSubscriptionId: idOf(session.subscription),
    stripeInvoiceId: idOf(session.invoice),
    stripePaymentIntentId: idOf(session.payment_intent),
    receiptUrl: typeof session.invoice === "object" ? (session.invoice?.hosted_invoice_url ?? null) : null,
  };
}

type Applied = {
  license: LicenseRow;
  key: string;
  kind: FulfilmentKind;
  previousLicenseId: string | null;
  /** A Stripe subscription that the new one replaces (cancelled at its period end after commit). */
  replacedSubscriptionId: string | null;
};

async function lockLicense(tx: Tx, id: string): Promise<LicenseRow | null> {
  const [row] = await tx.select().from(licenses).where(eq(licenses.id, id)).for("update");
  return row ?? null;
}

/**
 * An upgrade (or a downgrade at renewal): the new tier's license, and the
 * previous one superseded with a grace period so its installations keep
 * working while they switch. The one path for checkout upgrades, prorated
 * subscription upgrades and period-end downgrades.
 */
export async function issueUpgrade(
  tx: Tx,
  previous: LicenseRow,
  input: IssueInput,
  ctx: Context,
  ref: Record<string, unknown>,
): Promise<{ license: LicenseRow; key: string }> {
  const now = ctx.now ?? new Date();
  const { license, key } = await issueLicense({ ...input, replaces: previous.id }, ctx, tx);
  if (previous.state === "active") {
    const graceEndsAt = new Date(now.getTime() + config().upgradeGraceDays * DAY_MS);
    await tx
      .update(licenses)
      .set({ state: "superseded", graceEndsAt, supersededBy: license.id, updatedAt: now })
      .where(eq(licenses.id, previous.id));
    await recordAudit(tx, ctx, {
      licenseId: previous.id,
      action: "license.superseded",
      detail: {
        by: license.id,
        newKey: license.keyMasked,
        plan: license.plan,
        graceEndsAt: graceEndsAt.toISOString(),
        ...ref,
      },
    });
  } else {
    await recordAudit(tx, ctx, {
      licenseId: previous.id,
      action: "license.upgrade_not_superseded",
      detail: { by: license.id, state: previous.state, ...ref },
    });
  }
  return { license, key };
}

/** The inserter's work, inside the transaction that inserted the payments row. */
async function applyOrder(tx: Tx, order: PaidOrder, ctx: Context, now: Date): Promise<Applied> {
  if (order.renewLicenseId) {
    const current = await lockLicense(tx, order.renewLicenseId);
    if (current) {
      const from = Math.max(now.getTime(), current.expiresAt.getTime());
      const until = new Date(from + RENEWAL_DAYS * DAY_MS);
      const [license] = await tx
        .update(licenses)
        .set({
          expiresAt: until,
          cancelAtPeriodEnd: false,
          stripeSubscriptionId: order.stripeSubscriptionId ?? current.stripeSubscriptionId,
          updatedAt: now,
        })
        .where(eq(licenses.id, current.id))
        .returning();
      await recordAudit(tx, ctx, {
        licenseId: current.id,
        action: "license.renewed",
        detail: {
          checkoutSessionId: order.sessionId,
          from: current.expiresAt.toISOString(),
          until: until.toISOString(),
          ...(current.state !== "active" ? { note: `renewed while ${current.state}` } : {}),
        },
      });
      const replaced =
        current.stripeSubscriptionId && current.stripeSubscriptionId !== order.stripeSubscriptionId
          ? current.stripeSubscriptionId
          : null;
      return {
        license: license!,
        key: decryptKey(license!.keyCiphertext),
        kind: "renewal",
        previousLicenseId: current.id,
        replacedSubscriptionId: replaced,
      };
    }
    // The license to renew is gone (deleted by staff): the buyer paid, so they get a new license.
    await recordAudit(tx, ctx, {
      action: "checkout.renewal_target_missing",
      detail: { checkoutSessionId: order.sessionId, licenseId: order.renewLicenseId },
    });
  }

  const previous = order.upgradeFromLicenseId ? await lockLicense(tx, order.upgradeFromLicenseId) : null;
  // Licenses follow their email unless a signed-in buyer bought for their team (or it upgrades one).
  const teamId = order.teamId ?? previous?.teamId ?? (await teamForEmail(tx, order.email, order.company)).teamId;
  const input = {
    plan: order.plan,
    email: order.email,
    company: order.company,
    teamId,
    stripeSubscriptionId: order.stripeSubscriptionId,
  };
  if (!previous) {
    const { license, key } = await issueLicense(input, ctx, tx);
    return { license, key, kind: "new", previousLicenseId: null, replacedSubscriptionId: null };
  }
  const { license, key } = await issueUpgrade(tx, previous, input, ctx, { checkoutSessionId: order.sessionId });
  return {
    license,
    key,
    kind: "upgrade",
    previousLicenseId: previous.id,
    replacedSubscriptionId:
      previous.stripeSubscriptionId && previous.stripeSubscriptionId !== order.stripeSubscriptionId
        ? previous.stripeSubscriptionId
        : null,
  };
}

/** The result for a session some run already fulfilled. */
async function existingResult(payment: typeof payments.$inferSelect): Promise<FulfilmentResult> {
  if (!payment.licenseId) throw notFound("LICENSE_GONE", "The license for this checkout no longer exists.");
  const [license] = await getDb().select().from(licenses).where(eq(licenses.id, payment.licenseId));
  if (!license) throw notFound("LICENSE_GONE", "The license for this checkout no longer exists.");
  const kind: FulfilmentKind = payment.renewLicenseId ? "renewal" : payment.upgradeFromLicenseId ? "upgrade" : "new";
  return {
    license,
    key: decryptKey(license.keyCiphertext),
    created: false,
    kind,
    plan: payment.plan as PaidPlanId,
    email: payment.email,
    paidAt: payment.createdAt,
    previousLicenseId: payment.renewLicenseId ?? payment.upgradeFromLicenseId,
  };
}

async function findPayment(sessionId: string) {
  const [row] = await getDb().select().from(payments).where(eq(payments.checkoutSessionId, sessionId));
  return row ?? null;
}

/**
 * Fulfils a paid checkout session exactly once: verifies payment (Stripe: the
 * session retrieved with the SDK; test mode: our row marked paid), then in one
 * transaction inserts `payments` ON CONFLICT DO NOTHING; only the inserter
 * issues, upgrades or renews, and mails after commit. Returns the license and
 * its clear key to every caller.
 */
export async function fulfilCheckoutSession(
  sessionId: string,
  source: FulfilmentSource,
  options: { now?: Date } = {},
): Promise<FulfilmentResult> {
  if (typeof sessionId !== "string" || !SESSION_ID.test(sessionId)) throw notFound("MALFORMED_SESSION_ID");
  const already = await findPayment(sessionId);
  if (already?.licenseId) return existingResult(already);

  const order = await verifyPaidOrder(sessionId);
  const now = options.now ?? new Date();
  const ctx: Context = { actor: order.mode === "stripe" ? "stripe" : "checkout:test", now };

  const applied = await getDb().transaction(async (tx) => {
    const [inserted] = await tx
      .insert(payments)
      .values({
        checkoutSessionId: order.sessionId,
        plan: order.plan,
        email: order.email,
        company: order.company,
        amountCents: order.amountCents,
        currency: order.currency,
        mode: order.mode,
        stripeCustomerId: order.stripeCustomerId,
        stripeSubscriptionId: order.stripeSubscriptionId,
        stripeInvoiceId: order.stripeInvoiceId,
        stripePaymentIntentId: order.stripePaymentIntentId,
        upgradeFromLicenseId: order.upgradeFromLicenseId,
        renewLicenseId: order.renewLicenseId,
        kind: order.renewLicenseId ? "renewal" : order.upgradeFromLicenseId ? "upgrade" : "purchase",
        receiptUrl: order.receiptUrl,
        createdAt: now,
      })
      .onConflictDoNothing({ target: payments.checkoutSessionId })
      .returning({ id: payments.checkoutSessionId });
    if (!inserted) return null; // another run fulfilled it (we waited on its commit)

    const result = await applyOrder(tx, order, ctx, now);
    const kind = result.kind === "new" ? "purchase" : result.kind;
    await tx
      .update(payments)
      .set({ licenseId: result.license.id, kind })
      .where(eq(payments.checkoutSessionId, sessionId));
    if (order.stripeSubscriptionId) {
      await subscriptionFromFulfilment(
        tx,
        {
          id: order.stripeSubscriptionId,
          mode: order.mode,
          plan: order.plan,
          customerId: order.stripeCustomerId,
          periodEnd: result.license.expiresAt,
        },
        ctx,
      );
      if (order.mode === "test" && result.replacedSubscriptionId) {
        // Stripe's replaced subscription is cancelled after commit (afterCommit); a local one here.
        await applySubscriptionChange(
          tx,
          {
            id: result.replacedSubscriptionId,
            mode: "test",
            eventAt: now,
            status: "canceled",
            cancelAtPeriodEnd: true,
          },
          ctx,
        );
      }
      // The stored subscription state (an early cancel included) is now on the license.
      const [reread] = await tx.select().from(licenses).where(eq(licenses.id, result.license.id));
      result.license = reread ?? result.license;
    }
    await tx
      .update(checkoutSessions)
      .set({ status: "paid", paidAt: sql`coalesce(${checkoutSessions.paidAt}, ${now.toISOString()}::timestamptz)` })
      .where(eq(checkoutSessions.id, sessionId));
    await recordAudit(tx, ctx, {
      licenseId: result.license.id,
      action: "payment.fulfilled",
      detail: {
        checkoutSessionId: sessionId,
        source,
        mode: order.mode,
        kind: result.kind,
        plan: order.plan,
        amountCents: order.amountCents,
        currency: order.currency,
        ...(order.stripeSubscriptionId ? { subscription: order.stripeSubscriptionId } : {}),
      },
    });
    return result;
  });

  if (!applied) {
    const payment = await findPayment(sessionId);
    if (!payment) throw new Error(`payment for ${sessionId} vanished after a conflict`);
    return existingResult(payment);
  }

  await afterCommit(order, applied);
  return {
    license: applied.license,
    key: applied.key,
    created: true,
    kind: applied.kind,
    plan: order.plan,
    email: order.email,
    paidAt: now,
    previousLicenseId: applied.previousLicenseId,
  };
}

/** Mail and Stripe housekeeping: after commit, never undoing the fulfilment if they fail. */
async function afterCommit(order: PaidOrder, applied: Applied): Promise<void> {
  const planName = PLANS[order.plan].name;
  try {
    if (applied.kind === "renewal") {
      const until = formatDate(applied.license.expiresAt);
      await sendMail({
        to: order.email,
        subject: `Your TicketZero ${planName} license is renewed until ${until}`,
        text: [
          `Thank you: your TicketZero ${planName} license ${applied.license.keyMasked} now runs until ${until}.`,
          "",
          "Nothing to do on your installations: they pick up the new expiry at their next check-in.",
          `Manage it in the Admin Panel → License & Billing (${config().publicUrl}/admin/license).`,
        ].join("\n"),
      });
    } else {
      await mailLicenseKey(order.email, applied.key, planName);
    }
  } catch (error) {
    console.error(`[fulfilment] mail for ${order.sessionId} failed:`, error instanceof Error ? error.message : error);
  }
  if (order.mode === "stripe" && applied.replacedSubscriptionId) {
    // The old subscription must not bill again: it ends at its period end, the license runs to its own end.
    try {
      await stripeClient().subscriptions.update(applied.replacedSubscriptionId, {
        cancel_at_period_end: true,
        metadata: { replacedBy: order.stripeSubscriptionId ?? order.sessionId },
      });
      await recordAudit(
        getDb(),
        { actor: "stripe" },
        {
          licenseId: applied.previousLicenseId,
          action: "subscription.cancel_requested",
          detail: { subscription: applied.replacedSubscriptionId, reason: applied.kind },
        },
      );
    } catch (error) {
      console.error(
        `[fulfilment] could not cancel replaced subscription ${applied.replacedSubscriptionId}:`,
        error instanceof Error ? error.message : error,
      );
      await recordAudit(
        getDb(),
        { actor: "stripe" },
        {
          licenseId: applied.previousLicenseId,
          action: "subscription.cancel_failed",
          detail: { subscription: applied.replacedSubscriptionId, reason: applied.kind },
        },
      ).catch(() => {});
    }
  }
}

/** Test mode: marks an open test session paid, then fulfils it (a second call returns the same license). */
export async function completeTestCheckout(
  sessionId: string,
  options: { now?: Date; buyerToken?: string | null } = {},
): Promise<FulfilmentResult> {
  assertTestModeAllowed();
  if (!isTestMode()) {
    throw new LicenseError("FORBIDDEN", "Test-mode checkout is off: this server takes real payments through Stripe.");
  }
  if (typeof sessionId !== "string" || !SESSION_ID.test(sessionId) || !isTestSessionId(sessionId)) {
    throw notFound("MALFORMED_SESSION_ID");
  }
  const now = options.now ?? new Date();
  const row = await loadSessionRow(sessionId);
  if (row?.mode !== "test") throw notFound("UNKNOWN_SESSION");
  // The test "payment" is bound to the browser that started the checkout, like the key reveal after it.
  if (row.buyerTokenHash && !isBuyerOf(row, options.buyerToken)) {
    throw new LicenseError("FORBIDDEN", "This test checkout was started in another browser. Start a new one here.");
  }
  if (row.status === "open") {
    if (now.getTime() - row.createdAt.getTime() > TEST_SESSION_TTL_MS) {
      throw new LicenseError("CONFLICT", "This test checkout has expired. Start a new one from the plans page.", {
        details: { reason: "EXPIRED" },
      });
    }
    await getDb()
      .update(checkoutSessions)
      .set({ status: "paid", paidAt: now })
      .where(
        and(eq(checkoutSessions.id, sessionId), eq(checkoutSessions.mode, "test"), eq(checkoutSessions.status, "open")),
      );
  }
  return fulfilCheckoutSession(sessionId, "test", { now });
}

/** The checkout row (plan, email, mode, status) for pages; null when unknown. */
export async function checkoutSessionInfo(sessionId: string) {
  if (typeof sessionId !== "string" || !SESSION_ID.test(sessionId)) return null;
  return loadSessionRow(sessionId);
}
