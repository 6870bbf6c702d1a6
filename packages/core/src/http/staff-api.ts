/**
 * The staff API (docs/VENDOR-API.md "The staff API"): what the back office
 * does, for the vendor's other systems, authenticated by staff API tokens.
 * Each operation is a thin shell around the same core function the back-office
 * pages and the CLI call: it authenticates, parses with its declared schemas,
 * calls the core, and shapes the answer. No rule lives here.
 */
import { eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "../db/client";
import { licenses } from "../db/schema";
import {
  auditLog,
  extendById,
  issueCustom,
  reinstateById,
  revokeById,
  STATUS_FILTERS,
  searchLicenses,
  setCustomLimits,
  statusSql,
  suspendById,
} from "../license/backoffice";
import type { ErrorCode } from "../license/errors";
import { findById, installationsOf, type LicenseRow } from "../license/licenses";
import { PLAN_IDS } from "../license/plans";
import { authenticateStaffToken, type StaffTokenCaller, type TokenScope, tokenContext } from "../license/staff-tokens";
import { usageHistory } from "../license/usage";
import { type ApiRequest, type ApiResponse, bearerKey, errorResponse, json, parseBody } from "./api";
import { defineOperation, type Operation, parseQuery } from "./operations";

export const STAFF_API_BASE = "/api/staff/v1";

// ------------------------------------------------------------------ schemas

const isoDate = z.iso.datetime({ offset: true });
const LicenseId = z.strictObject({ id: z.uuid() });

export const StaffLicense = z
  .strictObject({
    id: z.uuid(),
    keyMasked: z.string(),
    plan: z.enum(PLAN_IDS),
    state: z.enum(["active", "suspended", "revoked", "superseded"]),
    status: z.enum(STATUS_FILTERS),
    email: z.string(),
    company: z.string().nullable(),
    teamId: z.uuid().nullable(),
    issuedAt: isoDate,
    expiresAt: isoDate,
    graceEndsAt: isoDate.nullable(),
    supersededBy: z.uuid().nullable(),
    features: z.array(z.string()),
    limits: z.strictObject({
      maxActivations: z.int(),
      maxClients: z.int(),
      maxTicketsPerMonth: z.int(),
      swapsPer30Days: z.int().nullable(),
      heartbeatWindowSeconds: z.int().nullable(),
    }),
  })
  .meta({ id: "StaffLicense", description: "A license as staff see it: the key masked, never in clear." });

const LicenseListItem = z.strictObject({
  id: z.uuid(),
  keyMasked: z.string(),
  plan: z.enum(PLAN_IDS),
  state: z.string(),
  status: z.enum(STATUS_FILTERS),
  email: z.string(),
  company: z.string().nullable(),
  teamId: z.uuid().nullable(),
  issuedAt: isoDate,
  expiresAt: isoDate,
  activationCount: z.int(),
  maxActivations: z.int(),
});

const Installation = z.strictObject({
  instanceId: z.string(),
  instanceName: z.string().nullable(),
  kind: z.enum(["online", "air-gapped"]),
  activatedAt: isoDate,
  lastSeenAt: isoDate,
  clients: z.int(),
  deactivatedAt: isoDate.nullable(),
  deactivatedBy: z.string().nullable(),
  slotFreesAt: isoDate.nullable(),
  certificateExpiresAt: isoDate.nullable(),
  licenseFileExpiresAt: isoDate.nullable(),
});

const AuditEvent = z.strictObject({
  id: z.int(),
  at: isoDate,
  licenseId: z.uuid().nullable(),
  keyMasked: z.string().nullable(),
  actor: z.string(),
  actorEmail: z.string().nullable(),
  actorName: z.string().nullable().describe("For a change made with a staff API token: the token's name."),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
});

const Reason = z.strictObject({ reason: z.string().max(500).optional() });
const LicenseAnswer = z.strictObject({ license: StaffLicense });

// ------------------------------------------------------------------ views

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

function licenseView(row: LicenseRow, status: (typeof STATUS_FILTERS)[number]): z.infer<typeof StaffLicense> {
  return {
    id: row.id,
    keyMasked: row.keyMasked,
    plan: row.plan as z.infer<typeof StaffLicense>["plan"],
    state: row.state as z.infer<typeof StaffLicense>["state"],
    status,
    email: row.email,
    company: row.company,
    teamId: row.teamId,
    issuedAt: iso(row.issuedAt),
    expiresAt: iso(row.expiresAt),
    graceEndsAt: isoOrNull(row.graceEndsAt),
    supersededBy: row.supersededBy,
    features: row.features,
    limits: {
      maxActivations: row.maxActivations,
      maxClients: row.maxClients,
      maxTicketsPerMonth: row.maxTicketsPerMonth,
      swapsPer30Days: row.swapsPer30Days,
      heartbeatWindowSeconds: row.heartbeatWindowSeconds,
    },
  };
}

/** The license after a change, with its back-office status (the list's rules, in SQL). */
async function licenseAnswer(row: LicenseRow, status = 200): Promise<ApiResponse> {
  const [found] = await getDb()
    .select({ status: statusSql(new Date()) })
    .from(licenses)
    .where(eq(licenses.id, row.id));
  return json(status, { license: licenseView(row, (found?.status ?? "valid") as never) });
}

// ------------------------------------------------------------------ plumbing

const AUTH_ERRORS = ["UNAUTHENTICATED", "UNAVAILABLE"] as const satisfies readonly ErrorCode[];
const WRITE_ERRORS = [...AUTH_ERRORS, "FORBIDDEN"] as const satisfies readonly ErrorCode[];
const BODY_ERRORS = ["INVALID_JSON", "VALIDATION_FAILED", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE"] as const;

/**
 * The license id of the path. The router has refused a malformed one (paramsInvalid); called
 * without it, the core's `findById` answers a malformed id as it answers an unknown one.
 */
const licenseIdOf = (req: ApiRequest) => req.params.id ?? "";

/**
 * The caller of each request, found by the operation's `authenticate` (which the router runs
 * before validating anything) and read by its handler; a handler called without the router
 * (in-process tests) authenticates itself.
 */
const callers = new WeakMap<ApiRequest, StaffTokenCaller>();

const staffAuth =
  (scope: TokenScope) =>
  async (req: ApiRequest): Promise<void> => {
    callers.set(req, await authenticateStaffToken(bearerKey(req), scope, req.ip));
  };

/** Runs the work as the token's caller; every refusal is the JSON error shape. */
const withToken =
  (scope: TokenScope, work: (req: ApiRequest, caller: StaffTokenCaller) => Promise<ApiResponse>) =>
  async (req: ApiRequest): Promise<ApiResponse> => {
    try {
      const caller = callers.get(req) ?? (await authenticateStaffToken(bearerKey(req), scope, req.ip));
      return await work(req, caller);
    } catch (error) {
      return errorResponse(error);
    }
  };

const path = (suffix: string) => `${STAFF_API_BASE}${suffix}`;

// ------------------------------------------------------------------ operations

/** `?page=`: the back office's pages count from 1. */
const PageNumber = z.coerce.number().int().min(1).max(10_000).optional();

const SearchQuery = z.strictObject({
  q: z
    .string()
    .max(200)
    .optional()
    .describe("Email, company, a whole key, a masked key or its last group, a license id."),
  plan: z.enum(PLAN_IDS).optional(),
  status: z.enum(STATUS_FILTERS).optional(),
  unclaimed: z
    .enum(["1", "true", "0", "false"])
    .optional()
    .describe("Only licenses on no team yet (public trials): 1 or true, as the Licenses page's link."),
  page: PageNumber,
});

const searchOperation = defineOperation({
  operationId: "staffSearchLicenses",
  method: "GET",
  path: path("/licenses"),
  tag: "Staff API",
  summary: "Search licenses",
  description: "Newest first, 25 a page. The same search as the back office's Licenses page.",
  security: ["staffRead"],
  authenticate: staffAuth("read"),
  query: SearchQuery,
  responses: {
    200: {
      description: "A page of licenses.",
      schema: z.strictObject({
        items: z.array(LicenseListItem),
        total: z.int(),
        page: z.int(),
        pageCount: z.int(),
        matchedBy: z.enum(["none", "key", "suffix", "text"]),
        notice: z.string().nullable(),
      }),
    },
  },
  errors: [...AUTH_ERRORS, "VALIDATION_FAILED"],
  handler: withToken("read", async (req) => {
    const query = parseQuery(req, SearchQuery);
    const result = await searchLicenses({ ...query, unclaimed: query.unclaimed === "1" || query.unclaimed === "true" });
    return json(200, {
      ...result,
      items: result.items.map((item) => ({ ...item, issuedAt: iso(item.issuedAt), expiresAt: iso(item.expiresAt) })),
    });
  }),
});

const limitValue = z.int().min(1).max(1_000_000_000);
const IssueBody = z.strictObject({
  plan: z.enum(PLAN_IDS),
  email: z.email(),
  company: z.string().max(200).nullish(),
  days: z.int().min(1).max(3650).describe("Days from now until it expires."),
  limits: z
    .strictObject({ maxClients: limitValue, maxTicketsPerMonth: limitValue, maxActivations: limitValue })
    .partial()
    .optional()
    .describe("Custom limits; an omitted one is the plan's."),
});

const issueOperation = defineOperation({
  operationId: "staffIssueLicense",
  method: "POST",
  path: path("/licenses"),
  tag: "Staff API",
  summary: "Issue a license (custom limits allowed)",
  description:
    "Issues a license onto the team of the email's owner (invited if new). The key is in this answer only: it is never shown again.",
  security: ["staffWrite"],
  authenticate: staffAuth("write"),
  body: IssueBody,
  responses: {
    201: {
      description: "The license, and its key (once).",
      schema: z.strictObject({ licenseKey: z.string(), license: StaffLicense }),
    },
  },
  errors: [...WRITE_ERRORS, ...BODY_ERRORS],
  handler: withToken("write", async (req, caller) => {
    const body = parseBody(req, IssueBody);
    const { license, key } = await issueCustom(body, tokenContext(caller, req.ip));
    const answer = await licenseAnswer(license, 201);
    return json(201, { licenseKey: key, ...(answer.body as object) });
  }),
});

const detailOperation = defineOperation({
  operationId: "staffGetLicense",
  method: "GET",
  path: path("/licenses/{id}"),
  tag: "Staff API",
  summary: "Get a license",
  security: ["staffRead"],
  authenticate: staffAuth("read"),
  params: LicenseId,
  paramsInvalid: "LICENSE_NOT_FOUND",
  responses: { 200: { description: "The license.", schema: LicenseAnswer } },
  errors: [...AUTH_ERRORS, "LICENSE_NOT_FOUND"],
  handler: withToken("read", async (req) => {
    const id = licenseIdOf(req);
    return licenseAnswer(await findById(id));
  }),
});

const NoBody = z.strictObject({});

/** suspend / revoke / reinstate: one shape, three core functions (reinstating takes no reason). */
function stateOperation(
  verb: "suspend" | "revoke" | "reinstate",
  summary: string,
  change: (id: string, ctx: ReturnType<typeof tokenContext>, reason?: string) => Promise<LicenseRow>,
) {
  const body = verb === "reinstate" ? NoBody : Reason;
  return defineOperation({
    operationId: `staff${verb[0]!.toUpperCase()}${verb.slice(1)}License`,
    method: "POST",
    path: path(`/licenses/{id}/${verb}`),
    tag: "Staff API",
    summary,
    description: "Refused with CONFLICT from a state it cannot change from (e.g. suspending a revoked license).",
    security: ["staffWrite"],
    authenticate: staffAuth("write"),
    params: LicenseId,
    paramsInvalid: "LICENSE_NOT_FOUND",
    body,
    responses: { 200: { description: "The license after the change.", schema: LicenseAnswer } },
    errors: [...WRITE_ERRORS, ...BODY_ERRORS, "LICENSE_NOT_FOUND", "CONFLICT"],
    handler: withToken("write", async (req, caller) => {
      const id = licenseIdOf(req);
      // An empty body is allowed (nothing to say); one that is sent must be valid.
      const { reason } = req.body?.length ? (parseBody(req, body) as { reason?: string }) : { reason: undefined };
      return licenseAnswer(await change(id, tokenContext(caller, req.ip), reason));
    }),
  });
}

const ExtendBody = z.strictObject({ days: z.int().min(1).max(3650) });
const extendOperation = defineOperation({
  operationId: "staffExtendLicense",
  method: "POST",
  path: path("/licenses/{id}/extend"),
  tag: "Staff API",
  summary: "Extend a license",
  description: "Adds `days` to its end date, or to now when it has already passed.",
  security: ["staffWrite"],
  authenticate: staffAuth("write"),
  params: LicenseId,
  paramsInvalid: "LICENSE_NOT_FOUND",
  body: ExtendBody,
  responses: { 200: { description: "The license after the change.", schema: LicenseAnswer } },
  errors: [...WRITE_ERRORS, ...BODY_ERRORS, "LICENSE_NOT_FOUND"],
  handler: withToken("write", async (req, caller) => {
    const id = licenseIdOf(req);
    const { days } = parseBody(req, ExtendBody);
    return licenseAnswer(await extendById(id, days, tokenContext(caller, req.ip)));
  }),
});

const LimitsBody = z.strictObject({
  maxClients: limitValue,
  maxTicketsPerMonth: limitValue,
  maxActivations: limitValue,
  swapsPer30Days: z.int().min(0).max(1000).nullable().optional().describe("null: one per activation."),
  heartbeatWindowDays: z.int().min(1).max(365).nullable().optional().describe("null: the certificate lifetime."),
});
const limitsOperation = defineOperation({
  operationId: "staffSetLicenseLimits",
  method: "PATCH",
  path: path("/licenses/{id}/limits"),
  tag: "Staff API",
  summary: "Set custom limits",
  description:
    "Lowering maxActivations below the active installations is allowed: nobody is cut off, new activations are refused, and the answer warns.",
  security: ["staffWrite"],
  authenticate: staffAuth("write"),
  params: LicenseId,
  paramsInvalid: "LICENSE_NOT_FOUND",
  body: LimitsBody,
  responses: {
    200: {
      description: "The license after the change, and any warnings.",
      schema: z.strictObject({ license: StaffLicense, warnings: z.array(z.string()) }),
    },
  },
  errors: [...WRITE_ERRORS, ...BODY_ERRORS, "LICENSE_NOT_FOUND"],
  handler: withToken("write", async (req, caller) => {
    const id = licenseIdOf(req);
    const body = parseBody(req, LimitsBody);
    const { license, warnings } = await setCustomLimits(id, body, tokenContext(caller, req.ip));
    const answer = await licenseAnswer(license);
    return json(200, { ...(answer.body as object), warnings });
  }),
});

const activationsOperation = defineOperation({
  operationId: "staffListActivations",
  method: "GET",
  path: path("/licenses/{id}/activations"),
  tag: "Staff API",
  summary: "List a license's installations",
  description: "Active and deactivated, oldest first.",
  security: ["staffRead"],
  authenticate: staffAuth("read"),
  params: LicenseId,
  paramsInvalid: "LICENSE_NOT_FOUND",
  responses: {
    200: { description: "The installations.", schema: z.strictObject({ activations: z.array(Installation) }) },
  },
  errors: [...AUTH_ERRORS, "LICENSE_NOT_FOUND"],
  handler: withToken("read", async (req) => {
    const id = licenseIdOf(req);
    await findById(id); // LICENSE_NOT_FOUND for an unknown id, rather than an empty list
    const rows = await installationsOf(id);
    return json(200, {
      activations: rows.map((r) => ({
        instanceId: r.instanceId,
        instanceName: r.instanceName,
        kind: r.kind === "air_gapped" ? "air-gapped" : "online",
        activatedAt: iso(r.activatedAt),
        lastSeenAt: iso(r.lastSeenAt),
        clients: r.clients,
        deactivatedAt: isoOrNull(r.deactivatedAt),
        deactivatedBy: r.deactivatedBy,
        slotFreesAt: isoOrNull(r.slotFreesAt),
        certificateExpiresAt: isoOrNull(r.certificateExpiresAt),
        licenseFileExpiresAt: isoOrNull(r.licenseFileExpiresAt),
      })),
    });
  }),
});

const UsageQuery = z.strictObject({ months: z.coerce.number().int().min(1).max(36).optional() });
const usageOperation = defineOperation({
  operationId: "staffGetUsage",
  method: "GET",
  path: path("/licenses/{id}/usage"),
  tag: "Staff API",
  summary: "Monthly ticket usage",
  description: "Tickets counted per UTC month, newest first (12 months unless `months` says otherwise).",
  security: ["staffRead"],
  authenticate: staffAuth("read"),
  params: LicenseId,
  paramsInvalid: "LICENSE_NOT_FOUND",
  query: UsageQuery,
  responses: {
    200: {
      description: "Usage by month.",
      schema: z.strictObject({
        maxTicketsPerMonth: z.int(),
        months: z.array(z.strictObject({ period: z.string().regex(/^\d{4}-\d{2}$/), tickets: z.int() })),
      }),
    },
  },
  errors: [...AUTH_ERRORS, "LICENSE_NOT_FOUND", "VALIDATION_FAILED"],
  handler: withToken("read", async (req) => {
    const id = licenseIdOf(req);
    const { months = 12 } = parseQuery(req, UsageQuery);
    const license = await findById(id);
    return json(200, {
      maxTicketsPerMonth: license.maxTicketsPerMonth,
      months: await usageHistory(id, months),
    });
  }),
});

const AuditQuery = z.strictObject({
  action: z.string().max(100).optional().describe("One action, e.g. license.suspended."),
  licenseId: z.uuid().optional(),
  page: PageNumber,
  pageSize: z.coerce.number().int().min(1).max(200).optional(),
});
const auditOperation = defineOperation({
  operationId: "staffAuditLog",
  method: "GET",
  path: path("/audit"),
  tag: "Staff API",
  summary: "The audit log",
  description: "Every change and refused activation, newest first; keys masked.",
  security: ["staffRead"],
  authenticate: staffAuth("read"),
  query: AuditQuery,
  responses: {
    200: {
      description: "A page of audit events.",
      schema: z.strictObject({ items: z.array(AuditEvent), total: z.int(), page: z.int(), pageCount: z.int() }),
    },
  },
  errors: [...AUTH_ERRORS, "VALIDATION_FAILED"],
  handler: withToken("read", async (req) => {
    const query = parseQuery(req, AuditQuery);
    const result = await auditLog(query);
    return json(200, { ...result, items: result.items.map((item) => ({ ...item, at: iso(item.at) })) });
  }),
});

export const STAFF_OPERATIONS: Operation[] = [
  searchOperation,
  issueOperation,
  detailOperation,
  stateOperation("suspend", "Suspend a license", suspendById),
  stateOperation("reinstate", "Reinstate a license", (id, ctx) => reinstateById(id, ctx)),
  stateOperation("revoke", "Revoke a license", revokeById),
  extendOperation,
  limitsOperation,
  activationsOperation,
  usageOperation,
  auditOperation,
];
