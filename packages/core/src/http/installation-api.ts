/**
 * The installation API (PRODUCT.md "HTTP contract"): one handler per
 * endpoint, each a thin shell around `lib/license`. Served by the fast server
 * for installations and by Next.js route handlers for signed-in browsers.
 */
import { z } from "zod";
import { activateLicense, deactivateInstallation } from "../license/activations";
import { publicJwks } from "../license/certificate";
import { LicenseError } from "../license/errors";
import { parseKey } from "../license/keys";
import { accountLicense, statusByKey } from "../license/license-status";
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

export const licenseStatus = guarded(async (req) => {
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
});

const ActivateBody = z.strictObject({
  licenseKey: z.string().max(100).optional(),
  instanceId: INSTANCE_ID.optional(),
  instanceName: z.string().trim().min(1).max(200).optional(),
});

export const activate = guarded(async (req) => {
  const body = parseBody(req, ActivateBody);
  const key = body.licenseKey ?? bearerKey(req);
  if (!key) throw new LicenseError("UNAUTHENTICATED", "Send licenseKey in the body or as Authorization: Bearer <key>.");
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
  const license = await statusByKey(key, result.activation.instanceId);
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
});

// Trimmed before the format check: the spec normalises emails (trimmed, lower-cased), so "  A@B.C " is A@B.C.
const TrialBody = z.strictObject({ email: z.string().trim().max(254).pipe(z.email()) });

export const generateTrial = guarded(async (req) => {
  const { email } = parseBody(req, TrialBody);
  await consumeTrialBudget(req.ip);
  const { key } = await startTrial(email, { actor: "public", ip: req.ip, accountId: req.accountId });
  return json(201, { licenseKey: key, license: await statusByKey(key, null) }, NO_STORE);
});

const UsageBody = z.strictObject({
  tickets: z.number().int().min(0).max(1_000_000),
  clients: z.number().int().min(0).max(100_000).optional(),
});

export const usage = guarded(async (req) => {
  const key = requireKey(req);
  const body = parseBody(req, UsageBody);
  const instanceId = instanceIdHeader(req);
  const result = await withKey(req, key, () =>
    reserveTickets(
      { licenseKey: key, instanceId, tickets: body.tickets, clients: body.clients },
      { actor: `installation:${instanceId ?? "unknown"}`, ip: req.ip },
    ),
  );
  return json(200, result, NO_STORE);
});

const DeactivateBody = z.strictObject({ instanceId: INSTANCE_ID });

export const deactivate = guarded(async (req) => {
  const key = requireKey(req);
  const { instanceId } = parseBody(req, DeactivateBody);
  // A blocked address may still deactivate one of its own activated installations.
  const result = await withKeyFor(req, key, instanceId, () =>
    deactivateInstallation({ licenseKey: key }, instanceId, { actor: `installation:${instanceId}`, ip: req.ip }),
  );
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
});

export const publicKey = guarded(async () => json(200, publicJwks(), { "Cache-Control": "public, max-age=300" }));

/** Path → method → handler, for the fast server and for tests. */
export const INSTALLATION_ROUTES: Record<string, Record<string, ApiHandler>> = {
  "/api/license-status": { GET: licenseStatus },
  "/admin/activate-license": { POST: activate },
  "/admin/generate-trial": { POST: generateTrial },
  "/api/usage": { POST: usage },
  "/api/deactivate": { POST: deactivate },
  "/api/public-key": { GET: publicKey },
};

export function methodNotAllowed(allowed: string[]): ApiResponse {
  return json(
    405,
    { error: { code: "METHOD_NOT_ALLOWED", message: `Use ${allowed.join(" or ")}.` } },
    { Allow: allowed.join(", ") },
  );
}
