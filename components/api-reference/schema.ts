/**
 * Reads the OpenAPI document for the reference page: JSON Schemas turned into
 * rows of fields (name, type, required, constraints), security requirements
 * into words. Pure functions over the generated document, nothing restated.
 */
import type { JsonSchema, OpenApiDocument } from "@ticketzero/core/http/openapi";

export type Schema = JsonSchema;

export type FieldRow = {
  name: string;
  /** A type in words (`string`, `integer[]`, `Usage | null`); `ref` when it names a shared schema. */
  type: string;
  ref?: string;
  required: boolean;
  description?: string;
  constraints: string[];
  depth: number;
  /** For a parameter: where it goes (path, query, header). */
  location?: string;
};

const REF = "#/components/schemas/";
/** zod's bounds for a plain integer: no constraint a reader needs. */
const SAFE_INTEGER = 9007199254740991;

const asSchema = (value: unknown): Schema | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Schema) : undefined;
const asSchemas = (value: unknown): Schema[] =>
  (Array.isArray(value) ? value.map(asSchema).filter(Boolean) : []) as Schema[];

export const refName = (schema: Schema): string | undefined =>
  typeof schema.$ref === "string" && schema.$ref.startsWith(REF) ? schema.$ref.slice(REF.length) : undefined;

/** The schema without its `| null` alternative, and whether it had one. */
function unwrapNull(schema: Schema): { schema: Schema; nullable: boolean } {
  const options = asSchemas(schema.anyOf);
  const others = options.filter((o) => o.type !== "null");
  if (options.length && others.length === 1 && others.length < options.length) {
    return { schema: { ...others[0]!, description: schema.description ?? others[0]!.description }, nullable: true };
  }
  return { schema, nullable: false };
}

export function typeOf(schema: Schema): { type: string; ref?: string } {
  const ref = refName(schema);
  if (ref) return { type: ref, ref };
  const { schema: inner, nullable } = unwrapNull(schema);
  if (nullable) {
    const base = typeOf(inner);
    return { ...base, type: `${base.type} | null` };
  }
  if ("const" in schema) return { type: JSON.stringify(schema.const) };
  if (schema.type === "array") {
    const items = typeOf(asSchema(schema.items) ?? {});
    return { ...items, type: `${items.type}[]` };
  }
  if (typeof schema.type === "string") return { type: schema.type };
  if (Array.isArray(schema.type)) return { type: schema.type.join(" | ") }; // ["string", "null"]
  if (schema.anyOf)
    return {
      type: asSchemas(schema.anyOf)
        .map((o) => typeOf(o).type)
        .join(" | "),
    };
  return { type: "any" };
}

export function constraintsOf(schema: Schema): string[] {
  const s = unwrapNull(schema).schema;
  const out: string[] = [];
  if (Array.isArray(s.enum)) out.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  if (typeof s.format === "string") out.push(`format: ${s.format}`);
  else if (typeof s.pattern === "string") out.push(`pattern: ${s.pattern}`);
  const bound = (key: string, label: string) => {
    const value = s[key];
    if (typeof value === "number" && Math.abs(value) !== SAFE_INTEGER) out.push(`${label} ${value}`);
  };
  bound("minimum", "≥");
  bound("maximum", "≤");
  bound("minLength", "min length");
  bound("maxLength", "max length");
  if ("default" in s) out.push(`default ${JSON.stringify(s.default)}`);
  if (s.additionalProperties && typeof s.additionalProperties === "object") out.push("more properties allowed");
  return out;
}

/** The fields of an object schema, nested objects and arrays of objects flattened with dotted names. */
export function fieldsOf(schema: Schema | undefined, depth = 0, prefix = ""): FieldRow[] {
  if (!schema) return [];
  const { schema: object } = unwrapNull(schema);
  const properties = asSchema(object.properties);
  if (!properties) return [];
  const required = new Set(Array.isArray(object.required) ? (object.required as string[]) : []);
  return Object.entries(properties).flatMap(([name, value]) => {
    const field = asSchema(value) ?? {};
    const { type, ref } = typeOf(field);
    const row: FieldRow = {
      name: `${prefix}${name}`,
      type,
      ref,
      required: required.has(name),
      description: typeof field.description === "string" ? field.description : undefined,
      constraints: constraintsOf(field),
      depth,
    };
    if (ref || depth >= 3) return [row];
    const inner = unwrapNull(field).schema;
    const nested = inner.type === "array" ? asSchema(inner.items) : inner;
    const children =
      nested && !refName(nested)
        ? fieldsOf(nested, depth + 1, `${prefix}${name}${inner.type === "array" ? "[]" : ""}.`)
        : [];
    return [row, ...children];
  });
}

export type Document = OpenApiDocument;
export type Method = "get" | "post" | "put" | "patch" | "delete";
export const METHODS: Method[] = ["get", "post", "put", "patch", "delete"];

export type Parameter = { name: string; in: string; required: boolean; description?: string; schema: Schema };
export type Response = {
  description: string;
  content?: Record<string, { schema: Schema }>;
  "x-error-codes"?: string[];
};
export type OperationDoc = {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security: Record<string, string[]>[];
  parameters: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, Response>;
  "x-error-codes": string[];
};
export type OperationEntry = { method: Method; path: string; operation: OperationDoc };

/** Every operation, grouped by its tag in the document's tag order. */
export function operationsByTag(
  document: Document,
): { tag: string; description?: string; operations: OperationEntry[] }[] {
  const entries: OperationEntry[] = Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((method) => ({
      method,
      path,
      operation: (item as Record<string, OperationDoc>)[method]!,
    })),
  );
  return document.tags.map((tag) => ({
    tag: tag.name,
    description: tag.description,
    operations: entries.filter((e) => e.operation.tags[0] === tag.name),
  }));
}

const SCHEME_LABELS: Record<string, string> = {
  licenseKey: "License key (Bearer)",
  session: "Signed-in session (cookie)",
  staffToken: "Staff API token (Bearer)",
};

/** "License key (Bearer)", "Staff API token (Bearer), write scope", "None". */
export function securityLabels(security: Record<string, string[]>[]): string[] {
  if (!security.length) return ["None: public"];
  return security.map((requirement) => {
    const entries = Object.entries(requirement);
    if (!entries.length) return "None (optional)";
    return entries
      .map(
        ([scheme, scopes]) =>
          `${SCHEME_LABELS[scheme] ?? scheme}${scopes.length ? `, ${scopes.join(", ")} scope` : ""}`,
      )
      .join(" and ");
  });
}

export const anchorOf = (operationId: string) => `op-${operationId}`;
export const schemaAnchor = (name: string) => `schema-${name}`;
export const tagAnchor = (tag: string) => `tag-${tag.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
