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

export type Recorded = {
  method: string;
  path: string;
  params: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
};
type Obj = Record<string, unknown> & { id: string };

const rand = () => randomBytes(8).toString("hex");

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

export type StripeStandin = {
  url: string;
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

export async function startStripeStandin(): Promise<StripeStandin> {
  const requests: Recorded[] = [];
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
        url: `https://checkout.stripe.test/c/pay/${id}`,
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
      const { items, proration_behavior: proration, expand, ...rest } = params as Record<string, unknown>;
      Object.assign(subscription, rest, {
        cancel_at_period_end:
          params.cancel_at_period_end !== undefined
            ? params.cancel_at_period_end === "true"
            : subscription.cancel_at_period_end === true,
        metadata: { ...((subscription.metadata as object) ?? {}), ...((params.metadata as object) ?? {}) },
      });
      const change = (items as Record<string, string>[] | undefined)?.[0];
      if (change?.price) {
        const item = (subscription.items as { data: Obj[] }).data.find((i) => i.id === change.id);
        const from = item?.price as Obj | undefined;
        const to = prices.get(change.price);
        if (!item || !to) return missing("subscription_item or price", change.id ?? change.price);
        item.price = to;
        if (proration === "always_invoice") {
          // Credit for the unused time on the old price, charge for it on the new one, invoiced and paid now.
          const periodEnd = Number(item.current_period_end);
          const left = Math.max(0, Math.min(1, (periodEnd - Date.now() / 1000) / (365 * 86400)));
          const amount = Math.round((Number(to.unit_amount) - Number(from?.unit_amount ?? 0)) * left);
          const invoice = makeInvoice(subscription, "subscription_update", amount);
          subscription.latest_invoice = invoice.id;
        }
      }
      subscriptions.set(subscription.id, subscription);
      const out = { ...subscription };
      if ((expand as string[] | undefined)?.includes("latest_invoice") && out.latest_invoice) {
        out.latest_invoice = invoices.get(out.latest_invoice as string) ?? out.latest_invoice;
      }
      return { status: 200, body: out };
    }
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

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://standin");
      const body = Buffer.concat(chunks).toString("utf8");
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
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
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
    paySession(id, extra = {}) {
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
    },
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
