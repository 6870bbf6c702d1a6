/**
 * The endpoints only Next.js serves (they need the browser session, or they
 * are Stripe's), declared as operations for the router and the OpenAPI
 * document. Their implementations stay in their route handlers under app/;
 * these declarations are what those handlers accept and answer.
 */
import { z } from "zod";
import { EXPORT_KINDS } from "../license/exports";
import { INSTANCE_ID } from "./api";
import { defineOperation, type RouteOperation } from "./operations";
import { LicenseFile } from "./schemas";

/** proxy.ts: a request with no session cookie at all is sent to sign in before the route runs. */
const SIGNED_OUT = { description: "No session cookie: a redirect (`Location`) to /signin, coming back here after." };

export const STRIPE_WEBHOOK = defineOperation({
  operationId: "stripeWebhook",
  method: "POST",
  path: "/api/stripe/webhook",
  tag: "Payments",
  summary: "Stripe's webhook",
  description:
    "Stripe delivers its events here (checkout, invoices, subscriptions, refunds, disputes). The signature is verified on the raw body before anything else; a replayed event changes nothing. 5xx answers ask Stripe to deliver again.",
  security: [],
  headers: z.object({ "Stripe-Signature": z.string().describe("Stripe's signature of the raw body.") }),
  body: z
    .looseObject({ id: z.string(), type: z.string() })
    .describe("A Stripe Event, read only once its signature checks out (bodies over 1 MB are refused)."),
  responses: {
    200: {
      description: "Received (applied, a duplicate, or an event type the portal ignores).",
      // What was done varies by event type; Stripe reads the status only.
      schema: z.looseObject({ received: z.literal(true) }),
    },
  },
  errors: ["INVALID_SIGNATURE", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "INTERNAL", "UNAVAILABLE"],
  servedBy: "next",
});

// Not strict: a link carrying more (a mail client's tracking parameters) still downloads.
export const LicenseFileQuery = z.object({
  license: z.guid().describe("The license's id."),
  instance: INSTANCE_ID.describe("The air-gapped installation's id."),
});

export const LICENSE_FILE = defineOperation({
  operationId: "downloadLicenseFile",
  method: "GET",
  path: "/admin/license/license-file",
  tag: "Account",
  summary: "Download an air-gapped installation's license file",
  description:
    "The current license file of an air-gapped installation, as an attachment, for the license's owners and admins and for staff. The file is bound to the installation's own key, so it is useless elsewhere.",
  security: ["session"],
  query: LicenseFileQuery,
  responses: {
    200: { description: "The license file (an attachment).", schema: LicenseFile },
    307: SIGNED_OUT,
  },
  errors: ["UNAUTHENTICATED", "VALIDATION_FAILED", "FORBIDDEN", "LICENSE_NOT_FOUND", "NOT_FOUND"],
  servedBy: "next",
});

export const STAFF_EXPORT = defineOperation({
  operationId: "exportCsv",
  method: "GET",
  path: "/staff/export/{kind}",
  tag: "Back office",
  summary: "Export a back-office list as CSV",
  description:
    "For signed-in staff: the list as a CSV attachment, streamed, with the list page's filters (licenses: `q`, `plan`, `status`, `unclaimed`; customers: `q`; audit: `action`).",
  security: ["session"],
  params: z.strictObject({ kind: z.enum(EXPORT_KINDS).describe("Which list.") }),
  query: z.object({
    q: z.string().optional().describe("Search text (licenses, customers)."),
    plan: z.string().optional().describe("A plan id (licenses)."),
    status: z.string().optional().describe("A status (licenses)."),
    unclaimed: z.literal("1").optional().describe("`1`: only licenses no account has claimed."),
    action: z.string().optional().describe("An audit action (audit)."),
  }),
  responses: { 200: { description: "The CSV (an attachment).", contentType: "text/csv" }, 307: SIGNED_OUT },
  errors: ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"],
  servedBy: "next",
});

export const ACCOUNT_OPERATIONS: RouteOperation[] = [STRIPE_WEBHOOK, LICENSE_FILE, STAFF_EXPORT];
