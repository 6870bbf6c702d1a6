/**
 * Stripe webhook endpoint. A plain route handler (not the JSON `nextRoute`
 * adapter): the signature covers the exact raw body, so it is read as text
 * and verified before anything else happens.
 */
import { readLimited } from "@ticketzero/core/http/api";
import { handleStripeWebhook } from "@ticketzero/core/stripe/webhook";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Stripe's payloads are well under this; anything larger is not from Stripe. */
const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  Response.json({ error: { code: "PAYLOAD_TOO_LARGE", message: "The request body is too large." } }, { status: 413 });

export async function POST(request: Request): Promise<Response> {
  // Streamed under the limit: a chunked upload stops being read at 1 MB, it is never buffered whole.
  let raw = "";
  try {
    if (request.body) {
      const read = await readLimited(request.body, MAX_BODY_BYTES, request.headers.get("content-length"));
      if (read.tooLarge) return tooLarge();
      raw = read.body.toString("utf8");
    }
  } catch {
    return Response.json(
      { error: { code: "INVALID_JSON", message: "Could not read the request body." } },
      { status: 400 },
    );
  }
  const { status, body } = await handleStripeWebhook(raw, request.headers.get("stripe-signature"));
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}
