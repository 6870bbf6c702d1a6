/**
 * Signed webhook deliveries for tests: events shaped like Stripe's, signed with
 * the SDK's own `generateTestHeaderString`, posted to the real route handler.
 */
import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { POST } from "@/app/api/stripe/webhook/route";

export const WEBHOOK_SECRET = "whsec_test_ticketzero_portal";

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

export type Delivery = { status: number; body: Record<string, unknown> };

export async function deliver(
  event: unknown,
  options: { secret?: string; timestamp?: number; signature?: string | null } = {},
): Promise<Delivery> {
  const payload = JSON.stringify(event);
  const signature =
    options.signature !== undefined
      ? options.signature
      : Stripe.webhooks.generateTestHeaderString({
          payload,
          secret: options.secret ?? WEBHOOK_SECRET,
          timestamp: options.timestamp,
        });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers["stripe-signature"] = signature;
  const response = await POST(
    new Request("http://localhost/api/stripe/webhook", { method: "POST", headers, body: payload }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
