/**
 * A local HTTP stand-in for the few Stripe API endpoints the portal uses. The
 * REAL stripe SDK talks to it (STRIPE_API_BASE=http://127.0.0.1:<port>), so
 * tests see exactly what the SDK sends: form-encoded params, decoded here into
 * nested objects (`metadata[plan]`, `line_items[0][price]`, `lookup_keys[0]`).
 */

import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PAID_PLAN_IDS, PLANS } from "@ticketzero/core/license/plans";
import { resetConfig } from "@ticketzero/core/server/config";
import { priceLookupKey } from "@ticketzero/core/stripe/client";
import Stripe from "stripe";

export type Recorded = {
  method: string;
  path: string;
  params: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
};
type Obj = Record<string, unknown> & { id: string };

const rand = () => randomBytes(8).toString("hex");
const YEAR_S = 365 * 86400;
/** What a subscription update may carry with payment_behavior=pending_if_incomplete (Stripe's pending updates reference). */
const PENDING_UPDATE_PARAMS = new Set([
  "billing_cycle_anchor",
  "proration_date",
  "trial_end",
  "trial_from_plan",
  "add_invoice_items",
]);

/** `a[b][0][c]=x` → { a: { b: [ { c: "x" } ] } } */
export function decodeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const pushed = new Map<string, number>();
  for (const [key, value] of new URLSearchParams(body)) {
    // `a[]=x&a[]=y` → `a[0]`, `a[1]`
    let rawKey = key;
    if (rawKey.endsWith("[]")) {
      const base = rawKey.slice(0, -2);
      const n = pushed.get(base) ?? 0;
      pushed.set(base, n + 1);
      rawKey = `${base}[${n}]`;
    }
    const parts = rawKey.split(/\[|\]\[|\]/).filter((p, i) => p !== "" || i === 0);
    let node: Record<string, unknown> = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    });
  }
  const arrays = (value: unknown): unknown => {
    if (!value || typeof value !== "object") return value;
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, arrays(v)] as const);
    if (entries.length && entries.every(([k]) => /^\d+$/.test(k))) {
      return entries.sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v);
    }
    return Object.fromEntries(entries);
  };
  return arrays(root) as Record<string, unknown>;
}

export type StandinOptions = {
  /** 0 (default): any free port. */
  port?: number;
  /** Serve Stripe Checkout's pages too: a session's url is `<stand-in>/c/pay/<id>`, its Pay button completes it. */
  hostedPages?: boolean;
  /** Deliver signed events to the app (Stripe's side of the webhook), as Stripe would after each change. */
  webhook?: { url: string; secret: string };
};

export type Delivery = { id: string; type: string; status: number; body: unknown };

/** An event shaped like Stripe's (the webhook deliveries here and in tests/stripe/support/events.ts). */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  id = `evt_${randomBytes(12).toString("hex")}`,
) {
  return {
    id,
    object: "event",
    api_version: "2026-10-28.endive",
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

export type StripeStandin = {
  url: string;
  /** Customers whose card is declined: their proration invoices stay open (unpaid). */
  declining: Set<string>;
  schedules: Map<string, Obj>;
  deliveries: Delivery[];
  /** Signs and posts one event to the configured webhook; resolves with the app's answer. */
  deliver(type: string, object: Record<string, unknown>): Promise<Delivery>;
  /** The next billing cycle of a subscription: a scheduled phase starts, the period moves a year, invoice.paid. */
  renew(subscriptionId: string): Promise<{ invoice: Obj; deliveries: Delivery[] }>;
  requests: Recorded[];
  sessions: Map<string, Obj>;
  prices: Map<string, Obj>;
  products: Map<string, Obj>;
  invoices: Map<string, Obj>;
  subscriptions: Map<string, Obj>;
  charges: Map<string, Obj>;
  /** payment intent id → invoice id (what GET /v1/invoice_payments answers). */
  invoiceByPaymentIntent: Map<string, string>;
  portalSessions: Record<string, unknown>[];
  /** A paid invoice for a subscription (renewals: billing_reason subscription_cycle). */
  makeInvoice(subscription: Obj, billingReason: string, amount: number, id?: string): Obj;
  /** Simulates the customer paying: the session becomes complete/paid with a subscription and invoice. */
  paySession(id: string, extra?: Partial<Obj>): Obj;
  seedPrice(lookupKey: string, unitAmount: number, product?: string): Obj;
  requestsTo(method: string, path: string | RegExp): Recorded[];
  stop(): Promise<void>;
};

export async function startStripeStandin(options: StandinOptions = {}): Promise<StripeStandin> {
  const requests: Recorded[] = [];
  const declining = new Set<string>();
  const schedules = new Map<string, Obj>();
  const deliveries: Delivery[] = [];
  let baseUrl = "";
  const sessions = new Map<string, Obj>();
  const prices = new Map<string, Obj>();
  const products = new Map<string, Obj>();
  const invoices = new Map<string, Obj>();
  const subscriptions = new Map<string, Obj>();
  const charges = new Map<string, Obj>();
  const invoiceByPaymentIntent = new Map<string, string>();
  const portalSessions: Record<string, unknown>[] = [];
  /** Stripe answers a repeated Idempotency-Key with the first answer (a double click upgrades once). */
  const idempotent = new Map<string, { status: number; body: unknown }>();

  const list = (data: unknown[], url: string) => ({ object: "list", data, has_more: false, url });
  const missing = (what: string, id: string) => ({
    status: 404,
    body: {
      error: {
        type: "invalid_request_error",
        code: "resource_missing",
        message: `No such ${what}: '${id}'`,
        param: "id",
      },
    },
  });

  function createPrice(params: Record<string, unknown>): Obj {
    const lookupKey = (params.lookup_key as string | undefined) ?? null;
    if (lookupKey) {
      const holder = [...prices.values()].find((p) => p.lookup_key === lookupKey);
      if (holder) {
        if (params.transfer_lookup_key !== "true") {
          throw Object.assign(new Error(`A price (\`${holder.id}\`) already uses that lookup key.`), { status: 400 });
        }
        holder.lookup_key = null;
      }
    }
    const recurring = params.recurring as Record<string, string> | undefined;
    const price: Obj = {
      id: `price_${rand()}`,
      object: "price",
      active: true,
      currency: params.currency ?? "usd",
      unit_amount: Number(params.unit_amount),
      product: params.product,
      lookup_key: lookupKey,
      nickname: params.nickname ?? null,
      metadata: params.metadata ?? {},
      recurring: recurring
        ? { interval: recurring.interval, interval_count: Number(recurring.interval_count ?? 1) }
        : null,
      type: recurring ? "recurring" : "one_time",
    };
    prices.set(price.id, price);
    return price;
  }

  function makeInvoice(subscription: Obj, billingReason: string, amount: number, id = `in_${rand()}`): Obj {
    const invoice: Obj = {
      id,
      object: "invoice",
      status: "paid",
      billing_reason: billingReason,
      amount_paid: amount,
      amount_due: amount,
      currency: "usd",
      customer: subscription.customer ?? null,
      hosted_invoice_url: `https://invoice.stripe.test/i/${id}`,
      parent: { type: "subscription_details", subscription_details: { subscription: subscription.id, metadata: {} } },
      lines: { object: "list", data: [] },
    };
    invoices.set(id, invoice);
    return invoice;
  }

  /** Work to do once the current API answer has been sent (webhook deliveries follow the change, like Stripe's). */
  const after: (() => Promise<unknown>)[] = [];
  const deliveredInvoices = new Set<string>();

  async function deliver(type: string, object: Record<string, unknown>): Promise<Delivery> {
    if (!options.webhook) throw new Error("this stand-in has no webhook to deliver to");
    const event = stripeEvent(type, JSON.parse(JSON.stringify(object)));
    const payload = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.webhook.secret });
    const response = await fetch(options.webhook.url, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      body: payload,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    const delivery = { id: event.id, type, status: response.status, body };
    deliveries.push(delivery);
    return delivery;
  }

  /** What Stripe sends after a subscription changed: customer.subscription.updated, and invoice.paid for a new paid invoice. */
  async function deliverChange(subscription: Obj): Promise<Delivery[]> {
    if (!options.webhook) return [];
    const out = [await deliver("customer.subscription.updated", subscription)];
    const invoice = invoices.get(subscription.latest_invoice as string);
    if (invoice?.status === "paid" && !deliveredInvoices.has(invoice.id)) {
      deliveredInvoices.add(invoice.id);
      out.push(await deliver("invoice.paid", invoice));
    }
    return out;
  }

  /** Subscription schedules: created from a subscription, phases replaced, released. */
  function routeSchedules(method: string, path: string, params: Record<string, unknown>) {
    const bad = (message: string) => ({ status: 400, body: { error: { type: "invalid_request_error", message } } });
    if (method === "POST" && path === "/v1/subscription_schedules") {
      const subscription = subscriptions.get(params.from_subscription as string);
      if (!subscription) return missing("subscription", String(params.from_subscription));
      if (subscription.schedule) {
        return bad(
          `You cannot migrate a subscription that is already attached to a schedule: \`${subscription.schedule}\`.`,
        );
      }
      const item = (subscription.items as { data: Obj[] }).data[0]!;
      const end = Number(item.current_period_end);
      const phase = {
        start_date: end - YEAR_S,
        end_date: end,
        items: [{ price: (item.price as Obj).id, quantity: 1 }],
      };
      const schedule: Obj = {
        id: `sub_sched_${rand()}`,
        object: "subscription_schedule",
        subscription: subscription.id,
        customer: subscription.customer,
        status: "active",
        end_behavior: "release",
        phases: [phase],
        current_phase: { start_date: phase.start_date, end_date: phase.end_date },
        released_subscription: null,
      };
      schedules.set(schedule.id, schedule);
      subscription.schedule = schedule.id;
      return { status: 200, body: schedule };
    }
    const id = path.match(/^\/v1\/subscription_schedules\/([^/]+)(\/release)?$/);
    if (!id) return null;
    const schedule = schedules.get(id[1]!);
    if (!schedule) return missing("subscription_schedule", id[1]!);
    if (method === "GET" && !id[2]) return { status: 200, body: schedule };
    if (method !== "POST") return null;
    if (schedule.status !== "active")
      return bad(`You cannot update a subscription schedule that is ${schedule.status}.`);
    if (id[2]) {
      Object.assign(schedule, { status: "released", released_subscription: schedule.subscription });
      const subscription = subscriptions.get(schedule.subscription as string);
      if (subscription) subscription.schedule = null;
      return { status: 200, body: schedule };
    }
    const phases = (params.phases as Record<string, unknown>[] | undefined) ?? [];
    if (phases.length) {
      const current = (schedule.phases as Record<string, unknown>[])[0]!;
      if (Number(phases[0]!.start_date) !== Number(current.start_date)) {
        return bad("You can not modify the start date of the current phase.");
      }
      let start = Number(phases[0]!.start_date);
      schedule.phases = phases.map((p) => {
        const duration = p.duration as { interval: string; interval_count?: string } | undefined;
        const end = p.end_date
          ? Number(p.end_date)
          : duration?.interval === "year"
            ? start + Number(duration.interval_count ?? 1) * YEAR_S
            : start + YEAR_S;
        const phase = {
          start_date: start,
          end_date: end,
          items: ((p.items as Record<string, string>[]) ?? []).map((i) => ({
            price: i.price,
            quantity: Number(i.quantity ?? 1),
          })),
          proration_behavior:
            (p.proration_behavior as string) ?? (params.proration_behavior as string) ?? "create_prorations",
        };
        start = end;
        return phase;
      });
    }
    if (params.end_behavior) schedule.end_behavior = params.end_behavior;
    return { status: 200, body: schedule };
  }

  /** The next billing cycle: a phase starting now applies its price, the period moves a year, the invoice is paid. */
  async function renew(subscriptionId: string) {
    const subscription = subscriptions.get(subscriptionId);
    if (!subscription) throw new Error(`no subscription ${subscriptionId}`);
    const item = (subscription.items as { data: Obj[] }).data[0]!;
    const start = Number(item.current_period_end);
    const schedule = schedules.get(subscription.schedule as string);
    const phase = (schedule?.phases as { start_date: number; items: { price: string }[] }[] | undefined)?.find(
      (p) => p.start_date === start,
    );
    if (phase?.items[0]) item.price = prices.get(phase.items[0].price) ?? item.price;
    item.current_period_end = start + YEAR_S;
    const invoice = makeInvoice(subscription, "subscription_cycle", Number((item.price as Obj).unit_amount));
    invoice.lines = {
      object: "list",
      data: [{ id: `il_${rand()}`, price: item.price, period: { start, end: start + YEAR_S } }],
    };
    subscription.latest_invoice = invoice.id;
    deliveredInvoices.add(invoice.id);
    const out = options.webhook
      ? [await deliver("invoice.paid", invoice), await deliver("customer.subscription.updated", subscription)]
      : [];
    return { invoice, deliveries: out };
  }

  /** Stripe Checkout's page for a session: what is bought, and a Pay button that completes it. */
  function checkoutPage(session: Obj): string {
    const amount = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(
      Number(session.amount_total ?? 0) / 100,
    );
    const plan = String((session.metadata as Obj | undefined)?.plan ?? "");
    const esc = (v: unknown) => String(v ?? "").replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stripe Checkout (stand-in)</title></head>
<body><main><h1>Pay TicketZero (stand-in Checkout)</h1>
<p data-testid="standin-plan">${esc(plan)} · ${esc(amount)} per year · ${esc(session.customer_email)}</p>
<form method="post"><button type="submit">Pay ${esc(amount)}</button></form>
<p><a href="${esc(session.cancel_url)}">Cancel</a></p></main></body></html>`;
  }

  function route(method: string, path: string, params: Record<string, unknown>): { status: number; body: unknown } {
    const id0 = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/)?.[1];
    const id1 = path.match(/^\/v1\/prices\/([^/]+)$/)?.[1];
    const id2 = path.match(/^\/v1\/products\/([^/]+)$/)?.[1];
    const id3 = path.match(/^\/v1\/invoices\/([^/]+)$/)?.[1];
    const id4 = path.match(/^\/v1\/subscriptions\/([^/]+)$/)?.[1];
    const id5 = path.match(/^\/v1\/charges\/([^/]+)$/)?.[1];
    if (method === "POST" && path === "/v1/checkout/sessions") {
      const line = (params.line_items as Record<string, string>[] | undefined)?.[0];
      const price = line ? prices.get(line.price ?? "") : undefined;
      const id = `cs_test_${rand()}${rand()}`;
      const session: Obj = {
        id,
        object: "checkout.session",
        url: options.hostedPages ? `${baseUrl}/c/pay/${id}` : `https://checkout.stripe.test/c/pay/${id}`,
        mode: params.mode,
        status: "open",
        payment_status: "unpaid",
        customer_email: params.customer_email ?? null,
        customer_details: null,
        client_reference_id: params.client_reference_id ?? null,
        metadata: params.metadata ?? {},
        success_url: params.success_url,
        cancel_url: params.cancel_url,
        amount_total: price ? Number(price.unit_amount) : null,
        currency: price?.currency ?? "usd",
        customer: null,
        subscription: null,
        invoice: null,
        payment_intent: null,
      };
      sessions.set(id, session);
      return { status: 200, body: session };
    }
    if (method === "GET" && id0) {
      const session = sessions.get(id0);
      if (!session) return missing("checkout.session", id0);
      const expand = (params.expand as string[] | undefined) ?? [];
      const invoice = expand.includes("invoice") && session.invoice ? invoices.get(session.invoice as string) : null;
      return { status: 200, body: invoice ? { ...session, invoice } : session };
    }
    if (method === "GET" && path === "/v1/prices") {
      const keys = (params.lookup_keys as string[] | undefined) ?? [];
      const data = [...prices.values()].filter(
        (p) => (!keys.length || keys.includes(p.lookup_key as string)) && (params.active !== "true" || p.active),
      );
      return { status: 200, body: list(data, "/v1/prices") };
    }
    if (method === "POST" && path === "/v1/prices") {
      try {
        return { status: 200, body: createPrice(params) };
      } catch (error) {
        return {
          status: 400,
          body: { error: { type: "invalid_request_error", message: (error as Error).message } },
        };
      }
    }
    if (method === "POST" && id1) {
      const price = prices.get(id1);
      if (!price) return missing("price", id1);
      if (params.active !== undefined) price.active = params.active === "true";
      return { status: 200, body: price };
    }
    if (method === "GET" && id2) {
      const product = products.get(id2);
      return product ? { status: 200, body: product } : missing("product", id2);
    }
    if (method === "POST" && path === "/v1/products") {
      const id = (params.id as string) ?? `prod_${rand()}`;
      const product: Obj = { object: "product", active: true, metadata: {}, ...params, id };
      products.set(id, product);
      return { status: 200, body: product };
    }
    if (method === "POST" && id2) {
      const product = products.get(id2);
      if (!product) return missing("product", id2);
      Object.assign(product, params, params.active !== undefined ? { active: params.active === "true" } : {});
      return { status: 200, body: product };
    }
    if (method === "GET" && id3) {
      const invoice = invoices.get(id3);
      return invoice ? { status: 200, body: invoice } : missing("invoice", id3);
    }
    if (method === "GET" && path === "/v1/invoice_payments") {
      const payment = params.payment as Record<string, string> | undefined;
      const invoice = payment?.payment_intent ? invoiceByPaymentIntent.get(payment.payment_intent) : undefined;
      const data = invoice
        ? [
            {
              id: `inpay_${rand()}`,
              object: "invoice_payment",
              invoice,
              payment: { type: "payment_intent", payment_intent: payment?.payment_intent },
              status: "paid",
            },
          ]
        : [];
      return { status: 200, body: list(data, "/v1/invoice_payments") };
    }
    if (method === "GET" && id4) {
      const subscription = subscriptions.get(id4);
      return subscription ? { status: 200, body: subscription } : missing("subscription", id4);
    }
    if (method === "POST" && id4) {
      const subscription: Obj = subscriptions.get(id4) ?? { id: id4, object: "subscription", metadata: {} };
      const {
        items,
        proration_behavior: proration,
        payment_behavior: paymentBehavior,
        expand,
        ...rest
      } = params as Record<string, unknown>;
      if (paymentBehavior === "pending_if_incomplete") {
        // Stripe: "When you use pending_if_incomplete you can only pass the parameters supported by pending updates."
        const unsupported = Object.keys(rest).filter((k) => !PENDING_UPDATE_PARAMS.has(k));
        if (unsupported.length) {
          return {
            status: 400,
            body: {
              error: {
                type: "invalid_request_error",
                message: `Received unsupported parameters with payment_behavior=pending_if_incomplete: ${unsupported.join(", ")}`,
                param: unsupported[0],
              },
            },
          };
        }
      }
      const change = (items as Record<string, string>[] | undefined)?.[0];
      const item = change ? (subscription.items as { data: Obj[] }).data.find((i) => i.id === change.id) : undefined;
      const to = change?.price ? prices.get(change.price) : undefined;
      if (change?.price && (!item || !to)) return missing("subscription_item or price", change.id ?? change.price);
      if (item && to && subscription.schedule) {
        return {
          status: 400,
          body: {
            error: {
              type: "invalid_request_error",
              message: `The subscription is managed by the subscription schedule \`${subscription.schedule}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
            },
          },
        };
      }
      let apply = true;
      if (item && to && proration === "always_invoice") {
        // Credit for the unused time on the old price, charge for it on the new one, invoiced and charged now.
        const from = item.price as Obj | undefined;
        const periodEnd = Number(item.current_period_end);
        const left = Math.max(0, Math.min(1, (periodEnd - Date.now() / 1000) / (365 * 86400)));
        const amount = Math.round((Number(to.unit_amount) - Number(from?.unit_amount ?? 0)) * left);
        const invoice = makeInvoice(subscription, "subscription_update", amount);
        subscription.latest_invoice = invoice.id;
        if (declining.has(subscription.customer as string)) {
          Object.assign(invoice, { status: "open", amount_paid: 0, attempted: true });
          if (paymentBehavior === "pending_if_incomplete") {
            // Nothing changes until the invoice is paid: the update waits in pending_update.
            apply = false;
            subscription.pending_update = {
              expires_at: Math.floor(Date.now() / 1000) + 23 * 3600,
              subscription_items: [{ ...item, price: to }],
              billing_cycle_anchor: null,
              trial_end: null,
              trial_from_plan: null,
            };
            invoice.pending_update_of = subscription.id;
          } else {
            subscription.status = "past_due"; // allow_incomplete: applied anyway, the invoice unpaid
          }
        }
      }
      if (apply) {
        if (item && to) item.price = to;
        Object.assign(subscription, rest, {
          cancel_at_period_end:
            params.cancel_at_period_end !== undefined
              ? params.cancel_at_period_end === "true"
              : subscription.cancel_at_period_end === true,
          metadata: { ...((subscription.metadata as object) ?? {}), ...((params.metadata as object) ?? {}) },
        });
        if (item && to) subscription.pending_update = null;
      }
      subscriptions.set(subscription.id, subscription);
      if (apply) after.push(() => deliverChange(subscription));
      const out = { ...subscription };
      if ((expand as string[] | undefined)?.includes("latest_invoice") && out.latest_invoice) {
        out.latest_invoice = invoices.get(out.latest_invoice as string) ?? out.latest_invoice;
      }
      return { status: 200, body: out };
    }
    const id6 = path.match(/^\/v1\/invoices\/([^/]+)\/void$/)?.[1];
    if (method === "POST" && id6) {
      const invoice = invoices.get(id6);
      if (!invoice) return missing("invoice", id6);
      if (invoice.status !== "open") {
        return {
          status: 400,
          body: {
            error: { type: "invalid_request_error", message: `You can only void an open invoice (${invoice.status}).` },
          },
        };
      }
      invoice.status = "void";
      // Voiding the invoice of a pending update discards the update.
      const pendingOf = subscriptions.get(invoice.pending_update_of as string);
      if (pendingOf?.pending_update) pendingOf.pending_update = null;
      return { status: 200, body: invoice };
    }
    const schedule = routeSchedules(method, path, params);
    if (schedule) return schedule;
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      const id = `bps_${rand()}`;
      const session = {
        id,
        object: "billing_portal.session",
        customer: params.customer,
        return_url: params.return_url,
        url: `https://billing.stripe.test/p/session/${id}`,
      };
      portalSessions.push(session);
      return { status: 200, body: session };
    }
    if (method === "GET" && id5) {
      const charge = charges.get(id5);
      return charge ? { status: 200, body: charge } : missing("charge", id5);
    }
    return {
      status: 404,
      body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path})` } },
    };
  }

  function paySession(id: string, extra: Partial<Obj> = {}): Obj {
    const session = sessions.get(id);
    if (!session) throw new Error(`no session ${id}`);
    const n = rand();
    Object.assign(session, {
      status: "complete",
      payment_status: "paid",
      customer: `cus_${n}`,
      subscription: `sub_${n}`,
      invoice: `in_${n}`,
      customer_details: { email: session.customer_email },
      ...extra,
    });
    const price = [...prices.values()].find(
      (p) => p.lookup_key === `ticketzero_${(session.metadata as Obj)?.plan}_yearly`,
    );
    const periodEnd = Math.floor(Date.now() / 1000) + 365 * 86400;
    const subscription: Obj = {
      id: session.subscription as string,
      object: "subscription",
      status: "active",
      customer: session.customer,
      cancel_at_period_end: false,
      cancel_at: null,
      metadata: { ...((session.metadata as object) ?? {}) },
      items: {
        object: "list",
        data: [{ id: `si_${n}`, object: "subscription_item", price, current_period_end: periodEnd }],
      },
      latest_invoice: session.invoice,
    };
    if (!subscriptions.has(subscription.id)) subscriptions.set(subscription.id, subscription);
    makeInvoice(subscription, "subscription_create", Number(session.amount_total ?? 0), session.invoice as string);
    return session;
  }

  /** Stripe's side that is not its API: Checkout's pages, and a control API for tests (pay, renew, decline, requests). */
  async function outsideApi(req: http.IncomingMessage, url: URL, body: string, res: http.ServerResponse) {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const pay = url.pathname.match(/^\/c\/pay\/([^/]+)$/)?.[1];
    if (pay && options.hostedPages) {
      const session = sessions.get(pay);
      if (!session) return json(404, { error: "no such checkout" });
      if (req.method === "GET") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        return res.end(checkoutPage(session));
      }
      if (session.status !== "complete") {
        paySession(pay);
        const subscription = subscriptions.get(session.subscription as string);
        if (options.webhook && subscription) {
          await deliver("customer.subscription.created", subscription);
          await deliver("checkout.session.completed", session);
        }
      }
      res.writeHead(303, { location: String(session.success_url).replace("{CHECKOUT_SESSION_ID}", pay) });
      return res.end();
    }
    const input = body ? (JSON.parse(body) as Record<string, string>) : {};
    const subscriptionOf = () =>
      input.subscription ??
      ([...sessions.values()].filter((s) => s.customer_email === input.email && s.subscription).at(-1)?.subscription as
        | string
        | undefined);
    if (url.pathname === "/control/health") return json(200, { ok: true });
    if (url.pathname === "/control/requests") {
      return json(
        200,
        requests.map(({ headers, ...r }) => ({ ...r, idempotencyKey: headers["idempotency-key"] ?? null })),
      );
    }
    if (url.pathname === "/control/deliveries") return json(200, deliveries);
    if (url.pathname === "/control/renew" && req.method === "POST") {
      const id = subscriptionOf();
      if (!id || !subscriptions.has(id)) return json(404, { error: "no such subscription" });
      return json(200, await renew(id));
    }
    if (url.pathname === "/control/subscription") {
      const id = subscriptionOf();
      const subscription = id ? subscriptions.get(id) : undefined;
      return subscription ? json(200, subscription) : json(404, { error: "no such subscription" });
    }
    if (url.pathname === "/control/decline" && req.method === "POST") {
      const subscription = subscriptions.get(subscriptionOf() ?? "");
      if (!subscription) return json(404, { error: "no such subscription" });
      declining.add(subscription.customer as string);
      return json(200, { declining: subscription.customer });
    }
    return json(404, { error: `no stand-in page ${url.pathname}` });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://standin");
      const body = Buffer.concat(chunks).toString("utf8");
      if (!url.pathname.startsWith("/v1/")) {
        outsideApi(req, url, body, res).catch((error) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: String(error) }));
        });
        return;
      }
      const params = decodeForm(req.method === "GET" || req.method === "DELETE" ? url.search.slice(1) : body);
      requests.push({ method: req.method ?? "GET", path: url.pathname, params, headers: req.headers });
      const auth = req.headers.authorization ?? "";
      const key = req.method === "POST" ? (req.headers["idempotency-key"] as string | undefined) : undefined;
      const { status, body: out } = !/^Bearer sk_test_/.test(auth)
        ? { status: 401, body: { error: { type: "invalid_request_error", message: "Invalid API Key provided" } } }
        : key && idempotent.has(key)
          ? idempotent.get(key)!
          : route(req.method ?? "GET", url.pathname, params);
      if (key && status < 500) idempotent.set(key, { status, body: out });
      res.writeHead(status, { "content-type": "application/json", "request-id": `req_${rand()}` });
      res.end(JSON.stringify(out));
      for (const work of after.splice(0)) {
        work().catch((error) => console.error("[stripe stand-in] webhook delivery failed:", error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    declining,
    schedules,
    deliveries,
    deliver,
    renew,
    requests,
    sessions,
    prices,
    products,
    invoices,
    subscriptions,
    charges,
    invoiceByPaymentIntent,
    portalSessions,
    makeInvoice,
    paySession,
    seedPrice(lookupKey, unitAmount, product = `prod_${rand()}`) {
      return createPrice({
        lookup_key: lookupKey,
        unit_amount: String(unitAmount),
        currency: "usd",
        product,
        recurring: { interval: "year", interval_count: "1" },
      });
    },
    requestsTo(method, path) {
      return requests.filter(
        (r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
      );
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Stripe mode for a test file: a stand-in with every paid plan's price, and the real SDK pointed at it. */
export async function startSeededStripeStandin(): Promise<StripeStandin> {
  const standin = await startStripeStandin();
  process.env.STRIPE_API_BASE = standin.url;
  resetConfig();
  for (const plan of PAID_PLAN_IDS) standin.seedPrice(priceLookupKey(plan), PLANS[plan].priceCents);
  return standin;
}
