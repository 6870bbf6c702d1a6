/**
 * Checks recorded answers against the OpenAPI document a server serves at
 * /api/openapi.json: for each (method, path, status, content type, body) the
 * operation's documented response must exist and its JSON body must validate
 * (ajv, JSON Schema 2020-12, formats checked). The document's own rules for
 * what no operation lists: a method a documented path lacks is 405
 * (`components/responses/MethodNotAllowed`), an unknown path under /api/ is
 * 404 (`NotFound`). Pages and next-auth's own endpoints are not the API.
 */
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { expect } from "vitest";
import type { AppServer } from "../../support/app-server";
import { Client, type Json, type Reply, recordedAnswers } from "./client";

export type Recorded = { method: string; path: string; reply: Reply };

// biome-ignore lint/suspicious/noExplicitAny: the document is JSON read from the server
type Document = any;

const DOCUMENT_ID = "https://openapi.test/document.json";
/** next-auth's endpoints (app/api/auth/[...nextauth]) are the framework's, not the portal's API. */
const NOT_THE_API = /^\/api\/auth\//;

const pointer = (...segments: string[]) => segments.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly templates: { path: string; regex: RegExp }[];

  constructor(private readonly document: Document) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: DOCUMENT_ID });
    this.templates = Object.keys(document.paths)
      .map((path) => ({
        path,
        params: (path.match(/\{/g) ?? []).length,
        regex: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{\w+\\?\}/g, "[^/]+")}$`),
      }))
      // Concrete paths before templated ones, as OpenAPI matches them.
      .sort((a, b) => a.params - b.params);
  }

  /** What is wrong with this answer, or null when the document describes it. */
  problem({ method, path, reply }: Recorded): string | null {
    const pathname = path.split("?")[0]!;
    const template = this.templates.find((t) => t.regex.test(pathname))?.path;
    const type = String(reply.headers["content-type"] ?? "")
      .split(";")[0]!
      .trim();
    if (!template) {
      // Pages are not the API; but a path beside a documented endpoint (a trailing slash, a typo) is.
      const nearEndpoint = /^\/(admin\/(activate-license|generate-trial|license\/license-file)|staff\/export)\b/.test(
        pathname,
      );
      if (nearEndpoint && reply.status >= 500) return `${reply.status} on an undocumented path next to an endpoint`;
      if (!pathname.startsWith("/api/") || NOT_THE_API.test(pathname)) return null;
      return reply.status === 404
        ? this.check(reply, type, ["components", "responses", "NotFound"])
        : "an undocumented path";
    }
    const verb = method === "HEAD" ? "get" : method.toLowerCase();
    const operation = this.document.paths[template][verb];
    if (!operation) {
      if (method === "OPTIONS" && reply.status === 204) return null;
      if (reply.status !== 405) return `${method} is not documented on ${template}, and the answer is not 405`;
      return this.check(reply, type, ["components", "responses", "MethodNotAllowed"]);
    }
    if (!operation.responses[String(reply.status)]) return `status ${reply.status} is not documented`;
    const at = ["paths", template, verb, "responses", String(reply.status)];
    // A redirect's body is informational (Next.js sends the target as text); HEAD has none, but
    // its headers are GET's: the documented ones must be there, its type a documented one.
    if (reply.status >= 300 && reply.status < 400) return null;
    if (method === "HEAD") {
      const { response } = this.resolve(at);
      const types = Object.keys(response?.content ?? {});
      if (types.length && !types.includes(type)) return `HEAD content type ${type || "(none)"}, documented: ${types}`;
      return this.missingHeaders(reply, response);
    }
    return this.check(reply, type, at);
  }

  private resolve(at: string[]): { response: Json; at: string[] } {
    let response = at.reduce((node: Json, key) => node?.[key], this.document);
    if (response?.$ref) {
      at = response.$ref.slice(2).split("/");
      response = at.reduce((node: Json, key) => node?.[key], this.document);
    }
    return { response, at };
  }

  /** A header the document says this answer always carries (Retry-After, Allow) and it lacks. */
  private missingHeaders(reply: Reply, response: Json): string | null {
    for (const [name, header] of Object.entries((response?.headers ?? {}) as Record<string, Json>)) {
      if (header.required && reply.headers[name.toLowerCase()] === undefined) return `no ${name} header`;
    }
    return null;
  }

  private check(reply: Reply, type: string, where: string[]): string | null {
    const { response, at } = this.resolve(where);
    const missing = this.missingHeaders(reply, response);
    if (missing) return missing;
    const content = response?.content;
    if (!content) return reply.text === "" ? null : "a body where the document has none";
    if (!content[type]) return `content type ${type || "(none)"}, documented: ${Object.keys(content).join(", ")}`;
    if (!/^application\/(.+\+)?json$/.test(type)) return null;
    if (reply.body === null) return "not JSON";
    const validate = this.ajv.getSchema(`${DOCUMENT_ID}#/${pointer(...at, "content", type, "schema")}`);
    if (!validate) return "no schema";
    if (validate(reply.body)) return null;
    return this.ajv.errorsText(validate.errors, { dataVar: "body" });
  }
}

/** Every recorded answer the document does not describe, one line each ([] when all match). */
export function undocumentedAnswers(document: Document, recorded: readonly Recorded[]): string[] {
  const checker = new ResponseChecker(document);
  const problems: string[] = [];
  for (const answer of recorded) {
    const problem = checker.problem(answer);
    if (problem) {
      problems.push(
        `${answer.method} ${answer.path} → ${answer.reply.status} ${answer.reply.headers["content-type"] ?? ""}: ${problem}; body: ${answer.reply.text.slice(0, 300)}`,
      );
    }
  }
  return problems;
}

/**
 * The last test of a black-box file: every answer its clients received matches the document this
 * server serves (fetched last, so its own answer is checked too).
 */
export async function expectAnswersDocumented(server: Pick<AppServer, "port" | "url">): Promise<void> {
  const served = await new Client(server).send("/api/openapi.json");
  expect(served.status, served.text.slice(0, 300)).toBe(200);
  const answers = recordedAnswers.filter((a) => a.path.startsWith("/"));
  expect(answers.length).toBeGreaterThan(1);
  expect(undocumentedAnswers(served.body, answers)).toEqual([]);
}
