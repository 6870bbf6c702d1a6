import Stripe from "stripe";
import { POST } from "@/app/api/stripe/webhook/route";
import { stripeEvent } from "./stripe-standin";

export { stripeEvent };

export const WEBHOOK_SECRET = "whsec_test_ticketzero_portal";

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
