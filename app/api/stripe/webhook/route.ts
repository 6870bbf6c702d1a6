/**
 * Stripe webhook endpoint. A plain route handler (not the JSON `nextRoute`
 * adapter): the signature covers the exact raw body, so it is read as text
 * and verified before anything else happens.
 */
import { handleStripeWebhook } from "@ticketzero/core/stripe/webhook";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Stripe's payloads are well under this; anything larger is not from Stripe. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function POST(request: Request): Promise<Response> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) {
    return Response.json(
      { error: { code: "PAYLOAD_TOO_LARGE", message: "The request body is too large." } },
      { status: 413 },
    );
  }
  let raw: string;
  try {
    raw = await request.text();
  } catch {
    return Response.json(
      { error: { code: "INVALID_JSON", message: "Could not read the request body." } },
      { status: 400 },
    );
  }
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    return Response.json(
      { error: { code: "PAYLOAD_TOO_LARGE", message: "The request body is too large." } },
      { status: 413 },
    );
  }
  const { status, body } = await handleStripeWebhook(raw, request.headers.get("stripe-signature"));
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}
