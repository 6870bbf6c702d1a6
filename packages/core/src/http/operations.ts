/**
 * One declaration per HTTP operation: its path, who may call it, the zod
 * schemas that validate its input and describe its answers, and the error
 * codes it can answer with. The handlers parse with these very schemas, and
 * the OpenAPI document (http/openapi.ts) is generated from them, so the
 * contract cannot drift from the code. `matchOperation` routes a request to
 * its operation; `runOperation` validates what the schemas cover and runs it.
 */
import { z } from "zod";
import { type ErrorCode, LicenseError } from "../license/errors";
import { type ApiHandler, type ApiRequest, type ApiResponse, errorResponse, validated } from "./api";

/** How a caller proves who it is (OpenAPI security schemes). */
export type Security =
  /** `Authorization: Bearer <license key>` (installations). */
  | "licenseKey"
  /** The portal's browser session cookie (the signed-in account). */
  | "session"
  /** `Authorization: Bearer tzs_…`, a staff API token with the read scope (write tokens have it too). */
  | "staffRead"
  /** A staff API token with the write scope. */
  | "staffWrite";

export type OperationTag = "Installations" | "Account" | "Back office" | "Payments" | "Staff API" | "Meta";

export type Operation = {
  operationId: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI style: `/api/staff/v1/licenses/{id}`. */
  path: string;
  tag: OperationTag;
  summary: string;
  description?: string;
  /** Any one of these suffices; empty: no authentication. */
  security: Security[];
  /**
   * True: it also runs with none of `security` (its body carries the credential, or it is public
   * and a session only adds to what it does). OpenAPI: an empty alternative `{}`.
   */
  authOptional?: boolean;
  /**
   * The credential check, run before any parameter is validated: a caller who may not call the
   * operation gets 401/403 and learns nothing about its parameters (the staff API).
   */
  authenticate?: (req: ApiRequest) => Promise<void>;
  /** Path parameters (`{id}`), validated. */
  params?: z.ZodObject;
  /**
   * The refusal for path parameters that fail `params` (default VALIDATION_FAILED): a malformed id
   * can answer as an unknown one (LICENSE_NOT_FOUND), so the two are indistinguishable.
   */
  paramsInvalid?: ErrorCode;
  /**
   * Query parameters, validated (strict: an unknown one is VALIDATION_FAILED). Values are strings
   * (a repeated key: an array of them), so numbers need `z.coerce`. Without it the query is not read.
   */
  query?: z.ZodObject;
  /** Request headers the operation reads (beyond Authorization); documentation, the handler reads them. */
  headers?: z.ZodObject;
  /** The JSON body, validated by `parseBody`. */
  body?: z.ZodType;
  /** Success answers by status; `schema` describes the JSON body (omitted: no body, or not JSON). */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** The refusals this operation can answer with; their statuses come from ERROR_STATUS. */
  errors: readonly ErrorCode[];
  /**
   * Which side of the launcher answers it (default "fast"): the fast path whatever the request
   * carries; or, "fast-or-session", the fast path except a request riding on a browser session (a
   * cookie and no Authorization), which its Next.js route handler answers with this same handler.
   */
  servedBy?: "fast" | "fast-or-session";
  handler: ApiHandler;
};

/**
 * An endpoint only its Next.js route handler (app/…/route.ts) serves, because it needs the
 * session or is Stripe's: declared for the router (preflight's 405s) and the document, no handler.
 */
export type RouteOperation = Omit<Operation, "servedBy" | "handler"> & { servedBy: "next"; handler?: undefined };

export type AnyOperation = Operation | RouteOperation;

/** Identity, for type checking and reading: `defineOperation({...})`. */
export const defineOperation = <T extends AnyOperation>(operation: T): T => operation;

/** Every refusal's body (PRODUCT.md "HTTP contract"); the document narrows `code` per operation and status. */
export const ErrorBody = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe("A stable code: see the operation's error codes."),
      message: z.string().min(1).describe("For people; never a stack trace, keys masked."),
      details: z.unknown().optional().describe("Machine-readable specifics, when the code has any."),
    }),
  })
  .meta({ id: "Error", description: "The one shape of every refusal." });

// ---------------------------------------------------------------- routing

/** A path template's segments: a literal, or a parameter's name. */
type Template = { path: string; segments: ({ literal: string } | { param: string })[]; operations: AnyOperation[] };

const tables = new WeakMap<readonly AnyOperation[], Template[]>();

/** The operations grouped by path template, concrete paths before templated ones (as OpenAPI matches). */
function tableOf(operations: readonly AnyOperation[]): Template[] {
  let table = tables.get(operations);
  if (table) return table;
  const byPath = new Map<string, Template>();
  for (const operation of operations) {
    let template = byPath.get(operation.path);
    if (!template) {
      const segments = operation.path.split("/").map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment)?.[1];
        return param ? { param } : { literal: segment };
      });
      template = { path: operation.path, segments, operations: [] };
      byPath.set(operation.path, template);
    }
    template.operations.push(operation);
  }
  const params = (t: Template) => t.segments.filter((s) => "param" in s).length;
  table = [...byPath.values()].sort((a, b) => params(a) - params(b));
  tables.set(operations, table);
  return table;
}

function paramsOf(template: Template, parts: string[]): Record<string, string> | null {
  if (parts.length !== template.segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, segment] of template.segments.entries()) {
    const part = parts[i]!;
    if ("literal" in segment) {
      if (part !== segment.literal) return null;
    } else {
      if (!part) return null;
      try {
        params[segment.param] = decodeURIComponent(part);
      } catch {
        params[segment.param] = part; // malformed escapes: the params schema refuses it
      }
    }
  }
  return params;
}

export type OperationMatch =
  | { operation: AnyOperation; params: Record<string, string>; allowed?: undefined }
  /** The path exists, not with this method: 405 with `Allow`. */
  | { operation?: undefined; params?: undefined; allowed: string[] };

/**
 * The operation for `method` on `pathname` (HEAD runs GET), with its path parameters; or, for a path
 * that exists with other methods, those methods; or null for a path no operation has.
 */
export function matchOperation(
  operations: readonly AnyOperation[],
  method: string,
  pathname: string,
): OperationMatch | null {
  const parts = pathname.split("/");
  for (const template of tableOf(operations)) {
    const params = paramsOf(template, parts);
    if (!params) continue;
    const operation =
      template.operations.find((o) => o.method === method) ??
      (method === "HEAD" ? template.operations.find((o) => o.method === "GET") : undefined);
    return operation ? { operation, params } : { allowed: template.operations.map((o) => o.method) };
  }
  return null;
}

/** A query string as `query` schemas read it: one value is a string, a repeated key an array of them. */
export function queryValues(query: URLSearchParams): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    if (value === "") continue; // `?page=` is no page, as a form with an empty field means
    const before = values[name];
    values[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return values;
}

/**
 * The query string parsed by `schema` (an operation's `query`), or VALIDATION_FAILED (paths
 * `query.<name>`). Handlers call it for the typed values; `runOperation` already refused a bad
 * query before the handler ran.
 */
export const parseQuery = <T extends z.ZodObject>(req: ApiRequest, schema: T): z.infer<T> =>
  validated(schema, queryValues(req.query), "query");

function validParams(operation: Operation, params: Record<string, string>): Record<string, string> {
  const refusal = operation.paramsInvalid ?? "VALIDATION_FAILED";
  if (refusal !== "VALIDATION_FAILED" && !operation.params!.safeParse(params).success) {
    // The very answer an unknown id gets, message included: the two cannot be told apart.
    throw new LicenseError(refusal, refusal === "LICENSE_NOT_FOUND" ? "License not found." : "Not found.");
  }
  // A params schema checks strings and outputs strings (ApiRequest.params).
  return validated(operation.params!, params, "path") as Record<string, string>;
}

/**
 * Runs a matched operation: its caller authenticated (`authenticate`), its path parameters and query validated by its schemas (400
 * VALIDATION_FAILED before any work, `req.params` filled), then its handler; a refusal is the JSON
 * error shape. The body is the handler's to parse (`parseBody`), after its credential checks.
 */
export async function runOperation(
  operation: Operation,
  req: ApiRequest,
  params: Record<string, string>,
): Promise<ApiResponse> {
  try {
    if (operation.authenticate) await operation.authenticate(req);
    req.params = operation.params ? validParams(operation, params) : params;
    if (operation.query) parseQuery(req, operation.query);
    return await operation.handler(req);
  } catch (error) {
    return errorResponse(error);
  }
}
