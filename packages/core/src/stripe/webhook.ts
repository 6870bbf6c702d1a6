/**
 * Stripe webhook processing. The route (app/api/stripe/webhook/route.ts) hands
 * over the raw body and the `Stripe-Signature` header; nothing is read or
 * written before the signature checks out. Every event id is recorded in
 * `processed_events` in the transaction that applies it, so a replay (Stripe
 * retries, a resend from the dashboard) changes nothing.
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import Stripe from "stripe";
import { type DbOrTx, getDb, type Tx } from "../db/client";
import { licenses, payments, processedEvents, subscriptions } from "../db/schema";
import { type Context, recordAudit } from "../license/audit";
import { isLicenseError } from "../license/errors";
import { fulfilCheckoutSession, isStripeSessionPaid } from "../license/fulfilment";
import type { LicenseRow } from "../license/licenses";
import { idOf, isTestMode, stripeClient, webhookSecret } from "./client";
import { applyRenewal, applySubscriptionChange, changeFromStripe, recordInvoicePayment } from "./subscriptions";

const STRIPE: Context = { actor: "stripe" };

export type WebhookResponse = { status: number; body: unknown };

const invalidSignature = (message: string): WebhookResponse => ({
  status: 400,
  body: { error: { code: "INVALID_SIGNATURE", message } },
});

/** Verifies and processes one delivery. Never throws: errors become a status Stripe retries on. */
export async function handleStripeWebhook(rawBody: string, signature: string | null): Promise<WebhookResponse> {
  const secret = webhookSecret();
  if (!secret) return invalidSignature("Webhook signing secret is not configured (STRIPE_WEBHOOK_SECRET).");
  if (!signature) return invalidSignature("Missing Stripe-Signature header.");
  let event: Stripe.Event;
  try {
    // Default tolerance (300 s): a stale timestamp is refused like a wrong signature. Needs no API key,
    // so test mode (no STRIPE_SECRET_KEY) verifies too when a webhook secret is set.
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (error) {
    const message = error instanceof Error ? error.message : "Signature verification failed.";
    return invalidSignature(`Webhook signature verification failed: ${message.split("\n")[0]}`);
  }
  return processEvent(event);
}

async function isProcessed(eventId: string): Promise<boolean> {
  const [row] = await getDb()
    .select({ id: processedEvents.eventId })
    .from(processedEvents)
    .where(eq(processedEvents.eventId, eventId));
  return Boolean(row);
}

/** Inserts the event id; false when another delivery already recorded (or is recording) it. */
async function claimEvent(db: DbOrTx, event: Stripe.Event): Promise<boolean> {
  const [row] = await db
    .insert(processedEvents)
    .values({ eventId: event.id, type: event.type })
    .onConflictDoNothing({ target: processedEvents.eventId })
    .returning({ id: processedEvents.eventId });
  return Boolean(row);
}

const ok = (extra: Record<string, unknown> = {}): WebhookResponse => ({
  status: 200,
  body: { received: true, ...extra },
});
const duplicate = () => ok({ duplicate: true });

/** Runs `apply` and records the event in one transaction; a concurrent duplicate waits, then sees the record. */
async function inTransaction(event: Stripe.Event, apply: (tx: Tx) => Promise<Record<string, unknown> | undefined>) {
  const outcome = await getDb().transaction(async (tx) => {
    if (!(await claimEvent(tx, event))) return null;
    return (await apply(tx)) ?? {};
  });
  return outcome === null ? duplicate() : ok(outcome);
}

export async function processEvent(event: Stripe.Event): Promise<WebhookResponse> {
  try {
    if (await isProcessed(event.id)) return duplicate();
    switch (event.type) {
      case "checkout.session.completed":
      case "checkout.session.async_payment_succeeded":
        return await onCheckoutPaid(event, event.data.object);
      case "invoice.paid":
        return await onInvoicePaid(event, event.data.object);
      case "customer.subscription.created":
      case "customer.subscription.updated":
      case "customer.subscription.deleted":
        return await onSubscriptionChanged(event, event.data.object);
      case "charge.refunded":
        return await onChargeRefunded(event, event.data.object);
      case "charge.dispute.created":
        return await onDisputeCreated(event, event.data.object);
      default:
        return ok({ ignored: true });
    }
  } catch (error) {
    // 4xx from our own rules would never succeed on retry; anything else (database down, Stripe API
    // hiccup) answers 5xx so that Stripe delivers the event again.
    const unavailable = (error as { code?: string }).code === "UNAVAILABLE";
    console.error(`[stripe] ${event.type} ${event.id} failed:`, error instanceof Error ? error.message : error);
    return {
      status: unavailable ? 503 : 500,
      body: { error: { code: unavailable ? "UNAVAILABLE" : "INTERNAL", message: "Webhook processing failed; retry." } },
    };
  }
}

// ---- checkout ----

async function onCheckoutPaid(event: Stripe.Event, session: Stripe.Checkout.Session): Promise<WebhookResponse> {
  if (!isStripeSessionPaid(session)) {
    // An async payment (bank debit) is still on its way: async_payment_succeeded fulfils it.
    return inTransaction(event, async (tx) => {
      await recordAudit(tx, STRIPE, {
        action: "checkout.awaiting_payment",
        detail: { checkoutSessionId: session.id, paymentStatus: session.payment_status },
      });
      return { awaitingPayment: true };
    });
  }
  let result: Awaited<ReturnType<typeof fulfilCheckoutSession>>;
  try {
    result = await fulfilCheckoutSession(session.id, "webhook");
  } catch (error) {
    if (!isLicenseError(error) || error.status >= 500) throw error;
    // Not ours to fulfil (another product's checkout, unpaid): record and acknowledge, retrying cannot help.
    return inTransaction(event, async (tx) => {
      await recordAudit(tx, STRIPE, {
        action: "checkout.not_fulfilled",
        detail: { checkoutSessionId: session.id, code: error.code, reason: error.extra.details ?? null },
      });
      return { ignored: true };
    });
  }
  await claimEvent(getDb(), event);
  return ok({ licenseId: result.license.id, created: result.created });
}

// ---- finding the license a Stripe object is about ----

/** The license a subscription pays for: the newest one carrying it, else the one its first payment issued. */
async function licensesOfSubscription(db: DbOrTx, subscriptionId: string, lock = false): Promise<LicenseRow[]> {
  const query = db
    .select()
    .from(licenses)
    .where(eq(licenses.stripeSubscriptionId, subscriptionId))
    // A revoked license (a refunded upgrade) never takes a renewal from the one that is in use again.
    .orderBy(sql`${licenses.state} = 'revoked'`, desc(licenses.issuedAt));
  const rows = lock ? await query.for("update") : await query;
  if (rows.length) return rows;
  const paid = await db
    .select({ licenseId: payments.licenseId })
    .from(payments)
    .where(eq(payments.stripeSubscriptionId, subscriptionId));
  const ids = paid.map((p) => p.licenseId).filter((id): id is string => Boolean(id));
  if (!ids.length) return [];
  const byPayment = db.select().from(licenses).where(inArray(licenses.id, ids)).orderBy(desc(licenses.issuedAt));
  return lock ? await byPayment.for("update") : await byPayment;
}

function subscriptionOfInvoice(invoice: Partial<Stripe.Invoice>): string | null {
  const fromParent = idOf(invoice.parent?.subscription_details?.subscription ?? null);
  // Older API versions put it on the invoice itself.
  return fromParent ?? idOf((invoice as { subscription?: string | { id: string } | null }).subscription ?? null);
}

/**
 * The license a charge paid for: by the checkout's payment intent or invoice
 * (payments rows), else through the invoice's subscription. Stripe API calls
 * happen here, before any transaction is opened.
 */
async function licenseIdForCharge(charge: {
  id: string;
  payment_intent?: unknown;
  invoice?: unknown;
}): Promise<{ licenseId: string | null; via: string; paymentIntent: string | null; invoice: string | null }> {
  const db = getDb();
  const paymentIntent = idOf(charge.payment_intent as string | { id: string } | null);
  if (paymentIntent) {
    const [row] = await db
      .select({ licenseId: payments.licenseId })
      .from(payments)
      .where(eq(payments.stripePaymentIntentId, paymentIntent));
    if (row?.licenseId) return { licenseId: row.licenseId, via: "payment_intent", paymentIntent, invoice: null };
  }
  let invoiceId = idOf(charge.invoice as string | { id: string } | null);
  if (!invoiceId && paymentIntent && !isTestMode()) {
    const list = await stripeClient().invoicePayments.list({
      payment: { type: "payment_intent", payment_intent: paymentIntent },
      limit: 1,
    });
    invoiceId = idOf(list.data[0]?.invoice ?? null);
  }
  if (!invoiceId) return { licenseId: null, via: "none", paymentIntent, invoice: null };
  const [byInvoice] = await db
    .select({ licenseId: payments.licenseId })
    .from(payments)
    .where(eq(payments.stripeInvoiceId, invoiceId));
  if (byInvoice?.licenseId)
    return { licenseId: byInvoice.licenseId, via: "invoice", paymentIntent, invoice: invoiceId };
  if (isTestMode()) return { licenseId: null, via: "none", paymentIntent, invoice: invoiceId };
  const invoice = await stripeClient().invoices.retrieve(invoiceId);
  const subscription = subscriptionOfInvoice(invoice);
  if (!subscription) return { licenseId: null, via: "none", paymentIntent, invoice: invoiceId };
  const [license] = await licensesOfSubscription(db, subscription);
  return { licenseId: license?.id ?? null, via: "subscription", paymentIntent, invoice: invoiceId };
}

/** Revokes a license for a refund or dispute; an upgrade's refund hands the customer back their old key. */
async function revokeForPayment(
  tx: Tx,
  licenseId: string,
  reason: "refund" | "dispute",
  detail: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const [row] = await tx.select().from(licenses).where(eq(licenses.id, licenseId)).for("update");
  if (!row) return { revoked: false, reason: "license not found" };
  if (row.state === "revoked") {
    await recordAudit(tx, STRIPE, {
      licenseId,
      action: `payment.${reason}`,
      detail: { ...detail, alreadyRevoked: true },
    });
    return { revoked: false, licenseId, alreadyRevoked: true };
  }
  const now = new Date();
  await tx.update(licenses).set({ state: "revoked", updatedAt: now }).where(eq(licenses.id, licenseId));
  await recordAudit(tx, STRIPE, {
    licenseId,
    action: "license.revoked",
    detail: { from: row.state, reason: reason === "refund" ? "payment refunded" : "payment disputed", ...detail },
  });
  // If this license replaced an older one by upgrade, the refund undoes the upgrade: the old key works again.
  const restored = await tx
    .update(licenses)
    .set({ state: "active", graceEndsAt: null, supersededBy: null, updatedAt: now })
    .where(and(eq(licenses.supersededBy, licenseId), eq(licenses.state, "superseded")))
    .returning({ id: licenses.id, plan: licenses.plan, subscription: licenses.stripeSubscriptionId });
  for (const old of restored) {
    await recordAudit(tx, STRIPE, {
      licenseId: old.id,
      action: "license.restored",
      detail: { reason: `upgrade ${reason}`, revokedUpgrade: licenseId },
    });
    // A prorated upgrade changed the subscription's price: the restored tier is billed at the higher
    // price until staff move it back (Stripe dashboard or a new upgrade/downgrade). Flagged, and the
    // mirror says which plan the license really is.
    if (old.subscription && old.subscription === row.stripeSubscriptionId && old.plan !== row.plan) {
      await tx
        .update(subscriptions)
        .set({ plan: old.plan, updatedAt: now })
        .where(eq(subscriptions.id, old.subscription));
      await recordAudit(tx, STRIPE, {
        licenseId: old.id,
        action: "subscription.price_needs_review",
        detail: { subscription: old.subscription, billedPlan: row.plan, licensePlan: old.plan },
      });
    }
  }
  return { revoked: true, licenseId, restored: restored.map((r) => r.id) };
}

// ---- events ----

async function onInvoicePaid(event: Stripe.Event, invoice: Stripe.Invoice): Promise<WebhookResponse> {
  const reason = invoice.billing_reason;
  if (reason !== "subscription_cycle" && reason !== "subscription_update") {
    // The first invoice (subscription_create) is fulfilled (and recorded) through its checkout session.
    return inTransaction(event, async () => ({ ignored: true, billingReason: reason }));
  }
  const subscription = subscriptionOfInvoice(invoice);
  return inTransaction(event, async (tx) => {
    const [license] = subscription ? await licensesOfSubscription(tx, subscription, true) : [];
    if (!license) {
      await recordAudit(tx, STRIPE, {
        action: reason === "subscription_cycle" ? "renewal.unmatched" : "proration.unmatched",
        detail: { invoice: invoice.id, subscription },
      });
      return { ignored: true, reason: "no license for this subscription" };
    }
    const payment = {
      invoiceId: invoice.id!,
      license,
      amountCents: invoice.amount_paid ?? 0,
      currency: invoice.currency ?? "usd",
      receiptUrl: invoice.hosted_invoice_url ?? null,
      mode: "stripe" as const,
      subscriptionId: subscription,
      customerId: idOf(invoice.customer ?? null),
    };
    if (reason === "subscription_update") {
      // A proration invoice: the upgrade itself recorded it (same id) unless it was made elsewhere.
      const recorded = await recordInvoicePayment(tx, { ...payment, kind: "proration", at: new Date() });
      return { licenseId: license.id, recorded };
    }
    const lineEnds = (invoice.lines?.data ?? []).map((line) => (line.period?.end ?? 0) * 1000);
    const periodEnd = Math.max(0, ...lineEnds);
    const renewed = await applyRenewal(tx, { ...payment, periodEnd: periodEnd ? new Date(periodEnd) : null }, STRIPE);
    return {
      licenseId: renewed.license.id,
      expiresAt: renewed.license.expiresAt.toISOString(),
      recorded: renewed.recorded,
      ...(renewed.downgradedTo ? { downgradedTo: renewed.downgradedTo } : {}),
    };
  });
}

/** created/updated/deleted: applied by the event's `created` time, kept even before its license exists. */
async function onSubscriptionChanged(event: Stripe.Event, subscription: Stripe.Subscription): Promise<WebhookResponse> {
  const eventAt = new Date(event.created * 1000);
  const change = changeFromStripe(subscription, eventAt);
  if (event.type === "customer.subscription.deleted") change.status = subscription.status || "canceled";
  return inTransaction(event, async (tx) => {
    const result = await applySubscriptionChange(tx, change, STRIPE);
    if (event.type === "customer.subscription.deleted") {
      const rows = await licensesOfSubscription(tx, subscription.id);
      for (const row of rows.length ? rows : [null]) {
        await recordAudit(tx, STRIPE, {
          licenseId: row?.id ?? null,
          action: "subscription.deleted",
          detail: {
            subscription: subscription.id,
            ...(row ? { licenseRunsUntil: row.expiresAt.toISOString() } : {}),
          },
        });
      }
    }
    return result.applied ? { updated: result.licenses.length } : { stale: true };
  });
}

async function onChargeRefunded(event: Stripe.Event, charge: Stripe.Charge): Promise<WebhookResponse> {
  const partial =
    charge.refunded === false && typeof charge.amount_refunded === "number" && charge.amount_refunded < charge.amount;
  const found = await licenseIdForCharge(charge);
  return inTransaction(event, async (tx) => {
    const detail = {
      charge: charge.id,
      paymentIntent: found.paymentIntent,
      invoice: found.invoice,
      amountRefunded: charge.amount_refunded,
      via: found.via,
    };
    if (!found.licenseId) {
      await recordAudit(tx, STRIPE, { action: "payment.refund_unmatched", detail });
      return { ignored: true, reason: "no license for this charge" };
    }
    if (partial) {
      // A partial refund (a goodwill credit) keeps the license; staff decide anything else.
      await recordAudit(tx, STRIPE, { licenseId: found.licenseId, action: "payment.partially_refunded", detail });
      return { licenseId: found.licenseId, revoked: false, partial: true };
    }
    return revokeForPayment(tx, found.licenseId, "refund", detail);
  });
}

async function onDisputeCreated(event: Stripe.Event, dispute: Stripe.Dispute): Promise<WebhookResponse> {
  let paymentIntent = idOf(dispute.payment_intent);
  const chargeId = idOf(dispute.charge);
  if (!paymentIntent && chargeId && !isTestMode()) {
    paymentIntent = idOf((await stripeClient().charges.retrieve(chargeId)).payment_intent);
  }
  const found = await licenseIdForCharge({ id: chargeId ?? "", payment_intent: paymentIntent });
  return inTransaction(event, async (tx) => {
    const detail = {
      dispute: dispute.id,
      charge: chargeId,
      paymentIntent: found.paymentIntent,
      invoice: found.invoice,
      disputeReason: dispute.reason,
      via: found.via,
    };
    if (!found.licenseId) {
      await recordAudit(tx, STRIPE, { action: "payment.dispute_unmatched", detail });
      return { ignored: true, reason: "no license for this charge" };
    }
    return revokeForPayment(tx, found.licenseId, "dispute", detail);
  });
}
