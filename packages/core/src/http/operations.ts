/**
 * One declaration per HTTP operation: its path, who may call it, the zod
 * schemas that validate its input and describe its answers, and the error
 * codes it can answer with. The handlers parse with these very schemas, and
 * the OpenAPI document (http/openapi.ts) is generated from them, so the
 * contract cannot drift from the code.
 */
import type { z } from "zod";
import type { ErrorCode } from "../license/errors";
import type { ApiHandler } from "./api";

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

export type OperationTag = "Installations" | "Account" | "Staff API" | "Meta";

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
  /** Path parameters (`{id}`), validated. */
  params?: z.ZodObject;
  /** Query parameters, validated (strict: an unknown one is VALIDATION_FAILED). */
  query?: z.ZodObject;
  /** Request headers the operation reads (beyond Authorization). */
  headers?: z.ZodObject;
  /** The JSON body, validated by `parseBody`. */
  body?: z.ZodType;
  /** Success answers by status; `schema` describes the JSON body (omitted: no body, or not JSON). */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** The refusals this operation can answer with; their statuses come from ERROR_STATUS. */
  errors: readonly ErrorCode[];
  handler: ApiHandler;
};

/** Identity, for type checking and reading: `defineOperation({...})`. */
export const defineOperation = <T extends Operation>(operation: T): T => operation;
