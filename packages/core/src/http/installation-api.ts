/**
 * The installation API (PRODUCT.md "HTTP contract"): one operation per
 * endpoint (http/operations.ts), its handler a thin shell around `license/`.
 * Served by the fast server for installations and by Next.js route handlers
 * for signed-in browsers; its answers are the schemas in http/schemas.ts.
 */
import { z } from "zod";
import { activateLicense, deactivateInstallation } from "../license/activations";
import { publicJwks } from "../license/certificate";
import { type ErrorCode, LicenseError } from "../license/errors";
import { parseKey } from "../license/keys";
import { accountLicense, forgetStatusOf, statusByKey } from "../license/license-status";
import { startTrial } from "../license/trial";
import { reserveTickets } from "../license/usage";
import { config } from "../server/config";
import { consumeActivationBudget, consumeKeyBudget, consumeTrialBudget, guardKeyLookup } from "../server/rate-limit";
import {
  type ApiHandler,
  type ApiRequest,
  type ApiResponse,
  bearerKey,
  errorResponse,
  INSTANCE_ID,
  instanceIdHeader,
  json,
  parseBody,
  unavailableResponse,
} from "./api";
import { defineOperation, type Operation } from "./operations";
import { ActivateAnswer, DeactivateAnswer, LicenseStatus, PublicKeys, TrialAnswer, UsageAnswer } from "./schemas";

const NO_STORE = { "Cache-Control": "no-store" };

/**
 * An installation's key-bearing request: the shared guard with the key's per-minute budget. A key
 * with the id of an activated installation of it (X-Instance-Id; for activate, the body's) is never IP-blocked.
 */
const withKeyFor = <T>(req: ApiRequest, rawKey: string, instanceId: string | null, work: () => Promise<T>) =>
  guardKeyLookup(req.ip, rawKey, consumeKeyBudget, work, instanceId);
const withKey = <T>(req: ApiRequest, rawKey: string, work: () => Promise<T>): Promise<T> =>
  withKeyFor(req, rawKey, instanceIdHeader(req), work);

function requireKey(req: ApiRequest): string {
  const key = bearerKey(req);
  if (!key) throw new LicenseError("UNAUTHENTICATED", "Send the license key as Authorization: Bearer <key>.");
  return key;
}

/**
 * Every handler answers: its refusal as the JSON error shape, and within the
 * request deadline. A database that stops answering (a cut link, a paused
 * server) must not hold installations for the TCP timeout: past the deadline
 * the answer is 503 UNAVAILABLE. The statement itself runs on (or fails) in its
 * transaction, so nothing is half-written; clients retry idempotently. Work
 * abandoned that way is bounded: while too much of it is still pending, new
 * requests get 503 at once instead of queueing behind it.
 */
const MAX_ABANDONED = 64;
let abandoned = 0;

const guarded =
  (handler: ApiHandler): ApiHandler =>
  async (req) => {
    if (abandoned >= MAX_ABANDONED) return unavailableResponse();
    let timer: NodeJS.Timeout | undefined;
    const work = handler(req).catch(errorResponse);
    const deadline = new Promise<ApiResponse>((resolve) => {
      timer = setTimeout(() => {
        abandoned++;
        void work.finally(() => abandoned--);
        resolve(unavailableResponse());
      }, config().requestDeadlineMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

/** `X-Instance-Id`, as `instanceIdHeader` reads it. */
const InstanceHeader = (description: string) =>
  z.object({ "X-Instance-Id": INSTANCE_ID.optional().describe(description) });

/** The refusals of a JSON body (`parseBody`). */
const BODY_ERRORS = ["INVALID_JSON", "VALIDATION_FAILED", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE"] as const;
/** The refusals of a key lookup (`guardKeyLookup`: format, existence, the key's and the address's budget). */
const KEY_ERRORS = ["INVALID_FORMAT", "LICENSE_NOT_FOUND", "RATE_LIMITED", "UNAVAILABLE"] as const;
/** A license that cannot run (`assertUsable`). */
const UNUSABLE_ERRORS = ["LICENSE_EXPIRED", "LICENSE_SUSPENDED", "LICENSE_REVOKED", "LICENSE_SUPERSEDED"] as const;
/** A session-riding POST from another site (lib/next/route-adapter.ts). */
const SESSION_POST_ERRORS = ["BAD_ORIGIN"] as const satisfies readonly ErrorCode[];

export const LICENSE_STATUS = defineOperation({
  operationId: "getLicenseStatus",
  method: "GET",
  path: "/api/license-status",
  tag: "Installations",
  summary: "A license's status",
  description:
    "With a key: that license's status (200 even when expired or revoked: the body says so). With `X-Instance-Id` it also records that installation's check-in, and an activated installation of a usable license gets a `certificate`. With no key but a signed-in session: the account's license. The hot path: installations call it all day.",
  security: ["licenseKey", "session"],
  headers: InstanceHeader(
    "The installation asking: its check-in is recorded, and only an activated one gets a certificate.",
  ),
  responses: { 200: { description: "The license's status.", schema: LicenseStatus } },
  errors: ["UNAUTHENTICATED", "VALIDATION_FAILED", ...KEY_ERRORS],
  servedBy: "fast-or-session",
  handler: guarded(async (req) => {
    const key = bearerKey(req);
    const instanceId = instanceIdHeader(req);
    if (!key) {
      if (!req.accountId) {
        throw new LicenseError("UNAUTHENTICATED", "Send the license key as Authorization: Bearer <key>, or sign in.");
      }
      const { status } = await accountLicense(req.accountId);
      return json(200, status, NO_STORE);
    }
    const body = await withKey(req, key, () => statusByKey(key, instanceId));
    return json(200, body, NO_STORE);
  }),
});

const ActivateBody = z.strictObject({
  licenseKey: z.string().max(100).optional().describe("The key to activate; or send it as Authorization: Bearer."),
  instanceId: INSTANCE_ID.optional().describe("The installation; one is generated and returned when absent."),
  instanceName: z.string().trim().min(1).max(200).optional().describe("A name people recognise (a host name)."),
});

export const ACTIVATE = defineOperation({
  operationId: "activateLicense",
  method: "POST",
  path: "/admin/activate-license",
  tag: "Installations",
  summary: "Activate an installation",
  description:
    "The key is the credential: `licenseKey` in the body, or as bearer. Checks, in order: format, existence, revoked or suspended, expired, then activations: the same `instanceId` again is idempotent (200, no new slot), a new one past `maxActivations` is `ACTIVATION_LIMIT_REACHED`, otherwise 201. A signed-in account admin calling it also attaches an unowned license to their account.",
  security: ["licenseKey", "session"],
  authOptional: true,
  headers: InstanceHeader("The installation, when the body names none."),
  body: ActivateBody,
  responses: {
    200: { description: "Already activated: the same slot, nothing new.", schema: ActivateAnswer },
    201: { description: "Activated: a new slot.", schema: ActivateAnswer },
  },
  errors: [
    "UNAUTHENTICATED",
    ...BODY_ERRORS,
    ...KEY_ERRORS,
    ...UNUSABLE_ERRORS,
    "LICENSE_OWNED_BY_ANOTHER_ACCOUNT",
    "ACTIVATION_LIMIT_REACHED",
    "INSTANCE_AIR_GAPPED",
    ...SESSION_POST_ERRORS,
  ],
  servedBy: "fast-or-session",
  handler: guarded(async (req) => {
    const body = parseBody(req, ActivateBody);
    const key = body.licenseKey ?? bearerKey(req);
    if (!key)
      throw new LicenseError("UNAUTHENTICATED", "Send licenseKey in the body or as Authorization: Bearer <key>.");
    const instanceId = body.instanceId ?? instanceIdHeader(req) ?? undefined;
    const result = await withKeyFor(req, key, instanceId ?? null, async () => {
      // Every attempt counts against (license, instance) only; new slots per license: activateLicense.
      await consumeActivationBudget(parseKey(key)!.key, instanceId);
      return activateLicense(
        { licenseKey: key, instanceId, instanceName: body.instanceName },
        {
          actor: req.accountId ? `user:${req.accountId}` : `installation:${instanceId ?? "new"}`,
          ip: req.ip,
          accountId: req.accountId,
        },
      );
    });
    // This installation's next check-in reads its activation, whichever way this process's cache learns of it.
    forgetStatusOf(key);
    const license = await statusByKey(key, result.activation.instanceId, new Date(), { fresh: true });
    const { instanceId: id, instanceName, activatedAt, lastSeenAt } = result.activation;
    return json(
      result.created ? 201 : 200,
      {
        activation: {
          instanceId: id,
          instanceName,
          activatedAt: activatedAt.toISOString(),
          lastSeenAt: lastSeenAt.toISOString(),
          created: result.created,
        },
        license,
      },
      NO_STORE,
    );
  }),
});

// Trimmed before the format check: the spec normalises emails (trimmed, lower-cased), so "  A@B.C " is A@B.C.
// `format` published for the trimmed input (the pipe's email check is on the output side).
const TrialBody = z.strictObject({ email: z.string().trim().max(254).meta({ format: "email" }).pipe(z.email()) });

export const GENERATE_TRIAL = defineOperation({
  operationId: "startTrial",
  method: "POST",
  path: "/admin/generate-trial",
  tag: "Account",
  summary: "Start a 30-day trial",
  description:
    "One trial per email address, ever (trimmed, lower-cased); the key is also mailed. Public, so rate-limited per address. A trial started this way never changes what an existing account sees: it joins the account when that address's owner signs in and claims it.",
  security: ["session"],
  authOptional: true,
  body: TrialBody,
  responses: { 201: { description: "The trial: its key in full, and its status.", schema: TrialAnswer } },
  errors: [...BODY_ERRORS, "TRIAL_ALREADY_USED", "RATE_LIMITED", "UNAVAILABLE", ...SESSION_POST_ERRORS],
  servedBy: "fast-or-session",
  handler: guarded(async (req) => {
    const { email } = parseBody(req, TrialBody);
    await consumeTrialBudget(req.ip);
    const { key } = await startTrial(email, { actor: "public", ip: req.ip, accountId: req.accountId });
    return json(201, { licenseKey: key, license: await statusByKey(key, null) }, NO_STORE);
  }),
});

const UsageBody = z.strictObject({
  tickets: z.number().int().min(0).max(1_000_000).describe("Tickets to reserve in the current UTC month."),
  clients: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .describe("This installation's client count; the license's is the sum over its installations."),
});

export const USAGE = defineOperation({
  operationId: "reportUsage",
  method: "POST",
  path: "/api/usage",
  tag: "Installations",
  summary: "Reserve tickets (and report clients)",
  description:
    "From an activated installation: reserves `tickets` in the current UTC month atomically. Past the monthly limit it is `USAGE_LIMIT_EXCEEDED` and nothing is counted; `clients` above what the license allows is `CLIENT_LIMIT_EXCEEDED`.",
  security: ["licenseKey"],
  headers: z.object({ "X-Instance-Id": INSTANCE_ID.describe("The reporting installation (required).") }),
  body: UsageBody,
  responses: { 200: { description: "Reserved: this month's usage and what remains.", schema: UsageAnswer } },
  errors: [
    "UNAUTHENTICATED",
    ...BODY_ERRORS,
    ...KEY_ERRORS,
    ...UNUSABLE_ERRORS,
    "INSTANCE_NOT_ACTIVATED",
    "USAGE_LIMIT_EXCEEDED",
    "CLIENT_LIMIT_EXCEEDED",
    ...SESSION_POST_ERRORS,
  ],
  servedBy: "fast-or-session",
  handler: guarded(async (req) => {
    const key = requireKey(req);
    const body = parseBody(req, UsageBody);
    const instanceId = instanceIdHeader(req);
    const result = await withKey(req, key, () =>
      reserveTickets(
        { licenseKey: key, instanceId, tickets: body.tickets, clients: body.clients },
        { actor: `installation:${instanceId ?? "unknown"}`, ip: req.ip },
      ),
    );
    forgetStatusOf(key);
    return json(200, result, NO_STORE);
  }),
});

const DeactivateBody = z.strictObject({ instanceId: INSTANCE_ID.describe("The installation whose slot to free.") });

export const DEACTIVATE = defineOperation({
  operationId: "deactivateInstallation",
  method: "POST",
  path: "/api/deactivate",
  tag: "Installations",
  summary: "Deactivate an installation",
  description:
    "Frees the installation's slot: at once while the license has swaps left this 30 days, else when its last certificate expires (`slotFreesAt`). Idempotent.",
  security: ["licenseKey"],
  body: DeactivateBody,
  responses: { 200: { description: "Deactivated.", schema: DeactivateAnswer } },
  errors: ["UNAUTHENTICATED", ...BODY_ERRORS, ...KEY_ERRORS, "INSTANCE_NOT_ACTIVATED", ...SESSION_POST_ERRORS],
  servedBy: "fast-or-session",
  handler: guarded(async (req) => {
    const key = requireKey(req);
    const { instanceId } = parseBody(req, DeactivateBody);
    // A blocked address may still deactivate one of its own activated installations.
    const result = await withKeyFor(req, key, instanceId, () =>
      deactivateInstallation({ licenseKey: key }, instanceId, { actor: `installation:${instanceId}`, ip: req.ip }),
    );
    forgetStatusOf(key);
    return json(
      200,
      {
        deactivated: true,
        instanceId,
        slotFreesAt: result.slotFreesAt.toISOString(),
        swapUsed: result.swapUsed,
        swapsLeft: result.slots.swapsLeft,
      },
      NO_STORE,
    );
  }),
});

export const PUBLIC_KEY = defineOperation({
  operationId: "getPublicKeys",
  method: "GET",
  path: "/api/public-key",
  tag: "Installations",
  summary: "The signing keys (JWKS)",
  description:
    "Every key that signs certificates and license files, current first, so installations keep verifying across a rotation. Cached for 5 minutes.",
  security: [],
  responses: { 200: { description: "The keys.", schema: PublicKeys } },
  errors: ["UNAVAILABLE"],
  handler: guarded(async () => json(200, publicJwks(), { "Cache-Control": "public, max-age=300" })),
});

export const INSTALLATION_OPERATIONS: Operation[] = [
  LICENSE_STATUS,
  ACTIVATE,
  GENERATE_TRIAL,
  USAGE,
  DEACTIVATE,
  PUBLIC_KEY,
];

// The Next.js route handlers (app/**/route.ts) serve these same handlers to signed-in browsers.
export const licenseStatus = LICENSE_STATUS.handler;
export const activate = ACTIVATE.handler;
export const generateTrial = GENERATE_TRIAL.handler;
export const usage = USAGE.handler;
export const deactivate = DEACTIVATE.handler;
export const publicKey = PUBLIC_KEY.handler;
