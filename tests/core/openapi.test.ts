/**
 * The OpenAPI document (packages/core/src/http/openapi.ts): a valid OpenAPI
 * 3.1 document, generated from the operations, that covers every route
 * handler under app/ and every operation the fast path serves; and the router
 * the launcher serves those operations with (matchOperation, runOperation).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { ApiRequest } from "@ticketzero/core/http/api";
import { LICENSE_STATUS } from "@ticketzero/core/http/installation-api";
import { ALL_OPERATIONS, buildOpenApiDocument, openApiDocument, STAFF_API_PREFIX } from "@ticketzero/core/http/openapi";
import { defineOperation, matchOperation, type Operation, runOperation } from "@ticketzero/core/http/operations";
import { LicenseStatus } from "@ticketzero/core/http/schemas";
import { ERROR_STATUS } from "@ticketzero/core/license/errors";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const root = path.resolve(import.meta.dirname, "../..");
const METHODS = ["get", "post", "put", "patch", "delete"] as const;
/** The document, walked as plain JSON. */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON under test
type Json = any;
const doc: Json = openApiDocument();
const operations = () =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    METHODS.filter((m) => (item as Json)[m]).map((m) => ({ path: p, method: m, op: (item as Json)[m] })),
  );

/** `app/staff/export/[kind]/route.ts` → `/staff/export/{kind}`, with the methods it exports. */
function appRoutes(): { path: string; methods: string[]; file: string }[] {
  const app = path.join(root, "app");
  return (readdirSync(app, { recursive: true }) as string[])
    .filter((file) => path.basename(file) === "route.ts")
    .map((file) => {
      const segments = path
        .dirname(file)
        .split(path.sep)
        .filter((s) => !/^\(.*\)$/.test(s)) // route groups are not in the URL
        .map((s) => s.replace(/^\[(\w+)\]$/, "{$1}"));
      const source = readFileSync(path.join(app, file), "utf8");
      const methods = [...source.matchAll(/export (?:const|async function) (GET|POST|PUT|PATCH|DELETE)\b/g)].map(
        (m) => m[1]!,
      );
      return { path: `/${segments.join("/")}`, methods, file: `app/${file}` };
    });
}

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    expect(doc.info.version).toBe(pkg.version);
    expect(doc.servers[0].url).toMatch(/^https?:\/\//);
  });

  it("has schemas that are themselves valid JSON Schema 2020-12, and no parameter twice", () => {
    // The OpenAPI validator resolves $refs; this checks what the schemas say (a misspelt type, a
    // `required` that is not a list).
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const schemas: { where: string; schema: object }[] = [];
    const collect = (node: unknown, where: string) => {
      if (!node || typeof node !== "object") return;
      for (const [key, value] of Object.entries(node)) {
        if (key === "schema" && value && typeof value === "object")
          schemas.push({ where: `${where}/schema`, schema: value });
        else collect(value, `${where}/${key}`);
      }
    };
    collect(doc.paths, "#/paths");
    collect(doc.components.responses, "#/components/responses");
    for (const [name, schema] of Object.entries(doc.components.schemas))
      schemas.push({ where: name, schema: schema as object });
    expect(schemas.length).toBeGreaterThan(50);
    for (const { where, schema } of schemas) {
      // Local $refs point into the document: check the schema's own shape with them stripped.
      const shape = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"[^"]*"/g, '"type":"object"'));
      expect(ajv.validateSchema(shape), `${where}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
    }
    for (const { path: p, method, op } of operations()) {
      const keys = (op.parameters ?? []).map(
        (param: { name: string; in: string }) => `${param.in}:${param.name.toLowerCase()}`,
      );
      expect(new Set(keys).size, `${method.toUpperCase()} ${p} repeats a parameter`).toBe(keys.length);
    }
  });

  it("documents Retry-After where the answer carries it, and the session cookie by protocol", () => {
    const activate = doc.paths["/admin/activate-license"].post.responses["409"];
    expect(activate.headers["Retry-After"]).toBeDefined();
    expect(doc.components.securitySchemes.session.name).toBe(
      doc.servers[0].url.startsWith("https:") ? "__Secure-authjs.session-token" : "authjs.session-token",
    );
    expect(
      buildOpenApiDocument(ALL_OPERATIONS, "https://licenses.example.com").components.securitySchemes.session.name,
    ).toBe("__Secure-authjs.session-token");
  });

  it("is generated once per process", () => {
    expect(openApiDocument()).toBe(openApiDocument());
  });

  it("has one path item per operation, each with a JSON schema for at least one success", () => {
    expect(operations().length).toBe(ALL_OPERATIONS.length);
    for (const { path: p, method, op } of operations()) {
      const what = `${method.toUpperCase()} ${p}`;
      const successes = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(successes.length, what).toBeGreaterThan(0);
      for (const [status, response] of successes) {
        for (const [type, media] of Object.entries((response as Json).content ?? {})) {
          if (type.includes("json")) expect((media as Json).schema, `${what} ${status} ${type}`).toBeTruthy();
        }
      }
      expect(
        successes.some(([, r]) =>
          Object.entries((r as Json).content ?? {}).some(
            ([type, media]) => !type.includes("json") || (media as Json).schema,
          ),
        ),
        what,
      ).toBe(true);
    }
  });

  it("lists each operation's error codes under their ERROR_STATUS, with the codes enumerated", () => {
    for (const { path: p, method, op } of operations()) {
      const what = `${method.toUpperCase()} ${p}`;
      const listed: string[] = [];
      for (const [status, response] of Object.entries(op.responses)) {
        const codes: string[] | undefined = (response as Json)["x-error-codes"];
        if (!codes) continue;
        for (const code of codes) {
          expect(Object.keys(ERROR_STATUS), `${what}: ${code}`).toContain(code);
          expect(String(ERROR_STATUS[code as keyof typeof ERROR_STATUS]), `${what}: ${code}`).toBe(status);
        }
        const schema = (response as Json).content["application/json"].schema;
        expect(schema.allOf[0]).toEqual({ $ref: "#/components/schemas/Error" });
        expect(schema.allOf[1].properties.error.properties.code.enum).toEqual(codes);
        listed.push(...codes);
      }
      expect([...listed].sort(), what).toEqual([...new Set(op["x-error-codes"] as string[])].sort());
    }
  });

  it("lists the refusal the router answers for bad path parameters or query with each operation", () => {
    for (const operation of ALL_OPERATIONS) {
      if (operation.servedBy === "next") continue; // its route handler reads its own input
      if (operation.params)
        expect(operation.errors, operation.operationId).toContain(operation.paramsInvalid ?? "VALIDATION_FAILED");
      if (operation.query) expect(operation.errors, operation.operationId).toContain("VALIDATION_FAILED");
    }
  });

  it("covers every route handler under app/ (methods too) and every operation the fast path serves", () => {
    const routes = appRoutes().filter((r) => !r.path.startsWith("/api/auth/")); // next-auth's own endpoints
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      expect(doc.paths[route.path], `${route.file} → ${route.path}`).toBeDefined();
      for (const method of route.methods) {
        expect(doc.paths[route.path][method.toLowerCase()], `${method} ${route.path} (${route.file})`).toBeDefined();
      }
    }
    for (const operation of ALL_OPERATIONS) {
      if (operation.servedBy === "next") {
        expect(
          routes.some((r) => r.path === operation.path && r.methods.includes(operation.method)),
          `${operation.operationId}: served by Next.js, so it needs its route handler`,
        ).toBe(true);
      } else {
        expect(
          operation.handler,
          `${operation.operationId}: served by the fast path, so it needs a handler`,
        ).toBeTypeOf("function");
      }
      expect(doc.paths[operation.path]?.[operation.method.toLowerCase()]?.operationId).toBe(operation.operationId);
    }
    expect(new Set(ALL_OPERATIONS.map((o) => o.operationId)).size).toBe(ALL_OPERATIONS.length);
  });

  it("names the security each operation takes: the staff API only staff tokens, with their scope", () => {
    for (const operation of ALL_OPERATIONS) {
      const security = doc.paths[operation.path][operation.method.toLowerCase()].security;
      for (const requirement of security) {
        for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes[scheme]).toBeDefined();
      }
      if (!operation.path.startsWith(STAFF_API_PREFIX)) continue;
      expect(operation.security.length, operation.operationId).toBeGreaterThan(0);
      expect(operation.security.every((s) => s === "staffRead" || s === "staffWrite")).toBe(true);
      expect(operation.servedBy ?? "fast").toBe("fast");
      expect(security.every((r: Record<string, string[]>) => r.staffToken?.length === 1)).toBe(true);
    }
    const status = doc.paths["/api/license-status"].get.security;
    expect(status).toEqual([{ licenseKey: [] }, { session: [] }]);
  });

  it("publishes strict answers: an extra or a missing field fails the schema", () => {
    const body = {
      valid: false,
      code: "LICENSE_NOT_FOUND",
      status: "invalid",
      message: "No license found.",
      license: null,
      limits: null,
      usage: null,
      features: [],
      warnings: [],
      upgrade: null,
      activation: null,
      slots: null,
      replacement: null,
    };
    expect(LicenseStatus.safeParse(body).success).toBe(true);
    expect(LicenseStatus.safeParse({ ...body, extra: 1 }).success).toBe(false);
    const { slots: _slots, ...missing } = body;
    expect(LicenseStatus.safeParse(missing).success).toBe(false);
    const schema = doc.components.schemas.LicenseStatus;
    expect(schema.additionalProperties).toBe(false);
    expect(doc.paths["/api/license-status"].get.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/LicenseStatus",
    });
  });
});

describe("the router", () => {
  const handled: ApiRequest[] = [];
  const op = (method: Operation["method"], p: string, extra: Partial<Operation> = {}) =>
    defineOperation({
      operationId: `${method} ${p}`,
      method,
      path: p,
      tag: "Staff API",
      summary: "test",
      security: ["staffRead"],
      responses: { 200: { description: "ok" } },
      errors: [],
      handler: async (req) => {
        handled.push(req);
        return { status: 200, body: { params: req.params } };
      },
      ...extra,
    });
  const search = op("GET", "/api/staff/v1/licenses", {
    query: z.strictObject({ q: z.string().optional(), page: z.coerce.number().int().min(1).optional() }),
  });
  const detail = op("GET", "/api/staff/v1/licenses/{id}", { params: z.strictObject({ id: z.guid() }) });
  const suspend = op("POST", "/api/staff/v1/licenses/{id}/suspend", { params: z.strictObject({ id: z.guid() }) });
  const literal = op("POST", "/api/staff/v1/licenses/export");
  const table = [search, detail, suspend, literal];
  const id = "3f1c2a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f";

  const request = (query = ""): ApiRequest => ({
    method: "GET",
    header: () => null,
    body: null,
    bodyTooLarge: false,
    ip: "127.0.0.1",
    accountId: null,
    query: new URLSearchParams(query),
    params: {},
  });

  it("matches templates, HEAD as GET, concrete paths first; 405 lists the path's methods; null for none", () => {
    expect(matchOperation(table, "GET", `/api/staff/v1/licenses/${id}`)).toEqual({ operation: detail, params: { id } });
    expect(matchOperation(table, "HEAD", `/api/staff/v1/licenses/${id}`)?.operation).toBe(detail);
    expect(matchOperation(table, "POST", `/api/staff/v1/licenses/${id}/suspend`)?.operation).toBe(suspend);
    expect(matchOperation(table, "GET", "/api/staff/v1/licenses/export")).toEqual({ allowed: ["POST"] });
    expect(matchOperation(table, "DELETE", `/api/staff/v1/licenses/${id}`)).toEqual({ allowed: ["GET"] });
    expect(matchOperation(table, "GET", "/api/staff/v1/licenses/a%2Fb")?.params).toEqual({ id: "a/b" });
    expect(matchOperation(table, "GET", "/api/staff/v1/licenses/")).toBeNull();
    expect(matchOperation(table, "GET", `/api/staff/v1/licenses/${id}/extra`)).toBeNull();
    expect(matchOperation(table, "GET", "/api/staff/v1/nothing")).toBeNull();
    expect(matchOperation(ALL_OPERATIONS, "GET", "/api/license-status")?.operation).toBe(LICENSE_STATUS);
  });

  it("validates path parameters and the query before the handler, and fills req.params", async () => {
    handled.length = 0;
    const ok = await runOperation(detail, request(), { id });
    expect(ok).toMatchObject({ status: 200, body: { params: { id } } });
    const badId = await runOperation(detail, request(), { id: "nope" });
    expect(badId).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    expect((badId.body as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("path.id");
    const unknown = await runOperation(search, request("q=x&sort=name"), {});
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    const badPage = await runOperation(search, request("page=0"), {});
    expect((badPage.body as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("query.page");
    expect((await runOperation(search, request("q=x&page=2"), {})).status).toBe(200);
    const unknownId = await runOperation({ ...detail, paramsInvalid: "LICENSE_NOT_FOUND" }, request(), { id: "x" });
    expect(unknownId).toMatchObject({ status: 404, body: { error: { code: "LICENSE_NOT_FOUND" } } });
    expect(handled.length).toBe(2); // refused requests never reached the handler
  });
});
