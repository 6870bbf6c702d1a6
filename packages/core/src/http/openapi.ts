/**
 * The OpenAPI 3.1 document of every HTTP operation, generated from the
 * operations' own zod schemas (zod 4's `z.toJSONSchema`, draft 2020-12, the
 * dialect OpenAPI 3.1 uses): nothing here restates a schema. Schemas with an
 * id (`.meta({ id })`) become `components/schemas`; every refusal is the one
 * `Error` schema, narrowed per operation and status to that operation's codes.
 * Served at GET /api/openapi.json and rendered at /docs/api.
 */
import { z } from "zod";
import { version } from "../../../../package.json";
import { ERROR_STATUS, type ErrorCode } from "../license/errors";
import { config } from "../server/config";
import { ACCOUNT_OPERATIONS } from "./account-api";
import { json } from "./api";
import { INSTALLATION_OPERATIONS } from "./installation-api";
import { type AnyOperation, defineOperation, ErrorBody, type Security } from "./operations";
import { STAFF_OPERATIONS } from "./staff-api";

export type JsonSchema = { [key: string]: unknown };

/** Every path under it is the staff API: always the fast path, bearer staff tokens only. */
export const STAFF_API_PREFIX = "/api/staff/v1/";

const OPENAPI_PATH = "/api/openapi.json";

export const OPENAPI_DOCUMENT = defineOperation({
  operationId: "getOpenApiDocument",
  method: "GET",
  path: OPENAPI_PATH,
  tag: "Meta",
  summary: "This document",
  description: "The OpenAPI 3.1 document of every endpoint, generated from the schemas that validate them.",
  security: [],
  responses: {
    200: {
      description: "The document.",
      schema: z.looseObject({
        openapi: z.literal("3.1.0"),
        info: z.looseObject({ title: z.string(), version: z.string() }),
        paths: z.record(z.string(), z.unknown()),
      }),
    },
  },
  errors: [],
  handler: async () => json(200, openApiDocument(), { "Cache-Control": "public, max-age=300" }),
});

/** Every operation the portal serves, on either side of the launcher. */
export const ALL_OPERATIONS: AnyOperation[] = [
  ...INSTALLATION_OPERATIONS,
  ...ACCOUNT_OPERATIONS,
  ...STAFF_OPERATIONS,
  OPENAPI_DOCUMENT,
];

const TAGS: { name: AnyOperation["tag"]; description: string }[] = [
  { name: "Installations", description: "What an on-prem TicketZero AI installation calls, with its license key." },
  { name: "Account", description: "A customer's account: trials and air-gapped license files." },
  { name: "Back office", description: "Downloads for the vendor's staff, signed in to the back office." },
  { name: "Payments", description: "Stripe's calls to the portal." },
  { name: "Staff API", description: "The back office for the vendor's other systems, with staff API tokens." },
  { name: "Meta", description: "About the API itself." },
];

const SECURITY_SCHEMES = {
  licenseKey: {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer <license key>` (`TZ-PRO-XXXX-XXXX-XXXX-XXXX`, `TZ-TRIAL-XXXXXXXX`).",
  },
  session: {
    type: "apiKey",
    in: "cookie",
    name: "authjs.session-token", // over HTTPS: __Secure-authjs.session-token (buildOpenApiDocument)
    description:
      "The portal's browser session (`__Secure-authjs.session-token` over HTTPS), from signing in at /signin. A request that rides on it and changes something must come from the portal's own Origin.",
  },
  staffToken: {
    type: "http",
    scheme: "bearer",
    description:
      "`Authorization: Bearer tzs_…`, a staff API token (Back office → API tokens). Its scope is `read` or `write`; a write token can also read. The scope an operation needs is its security requirement's.",
  },
} as const;

const requirement = (security: Security): Record<string, string[]> =>
  security === "staffRead"
    ? { staffToken: ["read"] }
    : security === "staffWrite"
      ? { staffToken: ["write"] }
      : { [security]: [] };

const STATUS_TEXT: Record<number, string> = {
  400: "Bad request",
  401: "No credential",
  403: "Not allowed",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Body too large",
  415: "Not JSON",
  429: "Rate limited",
  500: "Internal error",
  503: "Unavailable",
};

/** Converts zod schemas, collecting the ones with an id into `components/schemas`. */
class Schemas {
  readonly components: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const {
      $schema: _dialect,
      $defs,
      ...rest
    } = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      io,
      unrepresentable: "any",
    }) as JsonSchema;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const shared = this.relink(def);
      const known = this.components[id];
      // One id, one schema: the same schema read as input and as output must not differ.
      if (known && JSON.stringify(known) !== JSON.stringify(shared)) throw new Error(`schema id ${id} differs by use`);
      this.components[id] = shared;
    }
    return this.relink(rest);
  }

  private relink(schema: JsonSchema): JsonSchema {
    return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/'));
  }
}

/** The parameters of one kind (`path`, `query`, `header`) from an object schema's fields. */
function parameters(schemas: Schemas, where: "path" | "query" | "header", object: z.ZodObject | undefined) {
  return Object.entries(object?.shape ?? {}).map(([name, field]) => {
    const { description, ...schema } = schemas.convert(field as z.ZodType, "input");
    return {
      name,
      in: where,
      required: where === "path" || !(field as z.ZodType).isOptional(),
      ...(description ? { description } : {}),
      schema,
    };
  });
}

/** The refusals that carry `Retry-After` (the error's `retryAfterSeconds`, see api.ts errorResponse). */
const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set(["RATE_LIMITED", "UNAVAILABLE", "ACTIVATION_LIMIT_REACHED"]);

/** The refusals of `operation`, one response per status, with that status's codes enumerated. */
function errorResponses(operation: AnyOperation) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(operation.errors)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      String(status),
      {
        description: `${STATUS_TEXT[status] ?? "Refused"}: ${codes.join(", ")}.`,
        ...(codes.some((code) => RETRY_AFTER_CODES.has(code))
          ? {
              headers: {
                "Retry-After": {
                  description: `Seconds to wait (${codes.filter((code) => RETRY_AFTER_CODES.has(code)).join(", ")}).`,
                  required: codes.every((code) => RETRY_AFTER_CODES.has(code)),
                  schema: { type: "integer", minimum: 1 },
                },
              },
            }
          : {}),
        content: { "application/json": { schema: errorSchema(codes) } },
        "x-error-codes": codes,
      },
    ]),
  );
}

const errorSchema = (codes: readonly string[]): JsonSchema => ({
  allOf: [
    { $ref: "#/components/schemas/Error" },
    { type: "object", properties: { error: { type: "object", properties: { code: { enum: codes } } } } },
  ],
});

function operationObject(schemas: Schemas, operation: AnyOperation) {
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(operation.responses)) {
    const type = answer.contentType ?? (answer.schema ? "application/json" : undefined);
    const schema = answer.schema ? schemas.convert(answer.schema, "output") : { type: "string" };
    responses[status] = { description: answer.description, ...(type ? { content: { [type]: { schema } } } : {}) };
  }
  Object.assign(responses, errorResponses(operation));
  const security = [...operation.security.map(requirement), ...(operation.authOptional ? [{}] : [])];
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    security,
    parameters: [
      ...parameters(schemas, "path", operation.params),
      ...parameters(schemas, "query", operation.query),
      ...parameters(schemas, "header", operation.headers),
    ],
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemas.convert(operation.body, "input") } },
          },
        }
      : {}),
    responses,
    "x-error-codes": [...new Set(operation.errors)],
  };
}

/** Builds the document; `openApiDocument()` is the one every caller uses (built once per process). */
export function buildOpenApiDocument(operations: readonly AnyOperation[], serverUrl: string) {
  const schemas = new Schemas();
  schemas.convert(ErrorBody, "output"); // the shared refusal, referenced by every error response
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    paths[operation.path] = {
      ...paths[operation.path],
      [operation.method.toLowerCase()]: operationObject(schemas, operation),
    };
  }
  const used = new Set(operations.map((o) => o.tag));
  return {
    openapi: "3.1.0" as const,
    info: {
      title: "TicketZero License Portal API",
      version,
      description:
        'Every endpoint of the TicketZero License Portal. JSON in, JSON out; every refusal is `{"error": {"code", "message", "details"?}}` with the status its code has, and each operation lists its codes (`x-error-codes`). On any documented path, a method it does not list is 405 `METHOD_NOT_ALLOWED` with `Allow`; an unknown path under `/api/` is 404 `NOT_FOUND`.',
    },
    servers: [{ url: serverUrl }],
    tags: TAGS.filter((t) => used.has(t.name)),
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: {
        ...SECURITY_SCHEMES,
        // next-auth names the cookie by the protocol the portal is served on.
        session: {
          ...SECURITY_SCHEMES.session,
          name: serverUrl.startsWith("https:") ? "__Secure-authjs.session-token" : "authjs.session-token",
        },
      },
      responses: {
        MethodNotAllowed: {
          description: "The path exists, not with this method (`Allow` lists its methods).",
          headers: { Allow: { required: true, schema: { type: "string" } } },
          content: { "application/json": { schema: errorSchema(["METHOD_NOT_ALLOWED"]) } },
        },
        NotFound: {
          description: "No such endpoint under /api/.",
          content: { "application/json": { schema: errorSchema(["NOT_FOUND"]) } },
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

let document: OpenApiDocument | null = null;

/** The document of ALL_OPERATIONS, for PUBLIC_URL: generated once per process. */
export function openApiDocument(): OpenApiDocument {
  document ??= buildOpenApiDocument(ALL_OPERATIONS, config().publicUrl);
  return document;
}
