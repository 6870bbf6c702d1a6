/**
 * Pages and their server actions, driven the way a browser without
 * JavaScript drives them (progressive enhancement): GET the page, take the
 * form as React rendered it — its hidden `$ACTION_REF_n` / `$ACTION_n:0`
 * (the action's id, which every build draws afresh) / `$ACTION_KEY` fields —
 * fill in the visible fields, POST it as multipart/form-data to the page's
 * URL, and read the outcome from the page Next.js renders back: the form's
 * alert and its "Error code", or what it shows on success.
 *
 * Nothing here knows an action id: each submission reads the form from the
 * page it is about to post to, so a rebuild (new ids, new keys) changes nothing.
 */
import type { Client, Json, Reply } from "./client";

export type Form = { action: string; method: string; enctype: string; fields: [string, string][] };

const ENTITIES: Record<string, string> = { amp: "&", quot: '"', lt: "<", gt: ">", apos: "'", nbsp: "\u00a0" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const match of tag.matchAll(/([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const name = match[1]!.toLowerCase();
    if (name.startsWith("<")) continue;
    attrs[name] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? "");
  }
  return attrs;
}

/** The page's markup without its scripts (the RSC payload repeats every string of the page). */
export function markup(html: string): string {
  return html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");
}

/** Every form on the page with its fields as React rendered them. */
export function formsIn(html: string): Form[] {
  const forms: Form[] = [];
  for (const match of markup(html).matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(match[1]!);
    const fields: [string, string][] = [];
    for (const input of match[2]!.matchAll(/<(input|textarea)\b([^>]*)>/gi)) {
      const field = attributes(input[2]!);
      if (!field.name || field.disabled !== undefined) continue;
      const type = (field.type ?? "text").toLowerCase();
      if (["submit", "button", "image", "reset"].includes(type)) continue;
      // A file field is listed so a test can find its form and give it a File; empty, it is what a
      // browser sends with no file chosen (an empty part), as far as the server can tell.
      if ((type === "checkbox" || type === "radio") && field.checked === undefined) continue;
      fields.push([field.name, field.value ?? ""]);
    }
    forms.push({
      action: attrs.action ?? "",
      method: (attrs.method ?? "get").toLowerCase(),
      enctype: (attrs.enctype ?? "application/x-www-form-urlencoded").toLowerCase(),
      fields,
    });
  }
  return forms;
}

/** The one form that has a field of this name; fails loudly (with what the page had) otherwise. */
export function formWith(html: string, fieldName: string, page = "the page"): Form {
  const forms = formsIn(html).filter((form) => form.fields.some(([name]) => name === fieldName));
  if (forms.length !== 1) {
    const seen = formsIn(html).map((form) => form.fields.map(([name]) => name).join(","));
    throw new Error(
      `expected one form with a "${fieldName}" field on ${page}, found ${forms.length} (forms: ${seen.join(" | ") || "none"})`,
    );
  }
  return forms[0]!;
}

/** The server action's id, as the form's hidden `$ACTION_n:0` (bound action) or `$ACTION_ID_<id>` field carries it. */
export function actionIdOf(form: Form): string {
  for (const [name, value] of form.fields) {
    if (name.startsWith("$ACTION_ID_")) return name.slice("$ACTION_ID_".length);
    if (/^\$ACTION_\d+:0$/.test(name)) {
      const id = (JSON.parse(value) as { id?: unknown }).id;
      if (typeof id === "string") return id;
    }
  }
  throw new Error(`the form carries no server action (fields: ${form.fields.map(([n]) => n).join(", ")})`);
}

/** A multipart/form-data body, encoded the way a browser encodes it (a File is a file field). */
export async function multipart(fields: [string, string | File][]): Promise<{ body: Buffer; contentType: string }> {
  const data = new FormData();
  for (const [name, value] of fields) data.append(name, value);
  const request = new Request("http://form.invalid/", { method: "POST", body: data });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get("content-type")! };
}

/** What a person sees after submitting: the form's error alert and code, or its success. */
export type FormOutcome = {
  /** Texts of the page's role="alert" elements (the form's refusal). */
  alerts: string[];
  /** The "Error code" the form shows under its refusal. */
  code: string | null;
  /** The "Status" the form shows under its success (ACTIVATED, ALREADY_ACTIVE). */
  status: string | null;
  /** A trial key the form shows on success. */
  licenseKey: string | null;
  /** The page's text (scripts and tags removed). */
  text: string;
};

function elementsWithRole(html: string, role: string): string[] {
  const found: string[] = [];
  const opener = new RegExp(`<div\\b[^>]*\\brole="${role}"[^>]*>`, "g");
  for (const match of html.matchAll(opener)) {
    let depth = 1;
    const tags = /<div\b[^>]*>|<\/div>/g;
    tags.lastIndex = match.index + match[0].length;
    let end = html.length;
    for (let tag = tags.exec(html); tag; tag = tags.exec(html)) {
      depth += tag[0] === "</div>" ? -1 : 1;
      if (depth === 0) {
        end = tag.index;
        break;
      }
    }
    found.push(textOf(html.slice(match.index + match[0].length, end)));
  }
  return found;
}

const textOf = (html: string) =>
  decodeEntities(html.replace(/<[^>]+>/g, " "))
    .replace(/\s+/g, " ")
    .trim();

export function outcomeOf(html: string): FormOutcome {
  const page = markup(html);
  const code = /Error code:\s*<code\b[^>]*>([A-Z_]+)<\/code>/.exec(page)?.[1] ?? null;
  const licenseKey = /data-testid="trial-license-key"[^>]*>\s*(TZ-[A-Z0-9-]+)\s*</.exec(page)?.[1] ?? null;
  const status = elementsWithRole(page, "status")
    .map((text) => /\bStatus:\s*([A-Z_]+)/.exec(text)?.[1])
    .find(Boolean);
  return {
    alerts: elementsWithRole(page, "alert").filter(Boolean),
    code,
    status: status ?? null,
    licenseKey,
    text: textOf(page),
  };
}

export type Submission = { reply: Reply; outcome: FormOutcome; form: Form };

export type SubmitOptions = {
  /** Headers for the POST, e.g. a foreign Origin; by default the page's own origin, as a browser sends it. */
  headers?: Record<string, string>;
};

/** Browser-like headers: the client's cookies (its session, if it signed in) and, on a POST, its Origin. */
export function browserHeaders(client: Client, post: boolean): Record<string, string> {
  const headers: Record<string, string> = { Accept: "text/html,application/xhtml+xml" };
  const cookie = client.cookieHeader();
  if (cookie) headers.Cookie = cookie;
  if (post) headers.Origin = client.origin;
  return headers;
}

/** GETs `page`, fills the form that has `values`' first field, and submits it without JavaScript. */
export async function submitForm(
  client: Client,
  page: string,
  values: Record<string, string>,
  options: SubmitOptions = {},
): Promise<Submission> {
  const shown = await client.send(page, { headers: browserHeaders(client, false) });
  if (shown.status !== 200) throw new Error(`GET ${page} answered ${shown.status}: ${shown.text.slice(0, 300)}`);
  const form = formWith(shown.text, Object.keys(values)[0]!, page);
  return postForm(client, page, form, values, options);
}

/**
 * Submits `form` (read from `page`, perhaps by another client: a replayed form)
 * with `values` filled in, as this client, without JavaScript.
 */
export async function postForm(
  client: Client,
  page: string,
  form: Form,
  values: Record<string, string | File> = {},
  options: SubmitOptions = {},
): Promise<Submission> {
  actionIdOf(form); // the form must be a server action's, or this is not the test it claims to be
  const fields = form.fields.map(([name, value]): [string, string | File] => [name, values[name] ?? value]);
  for (const [name, value] of Object.entries(values)) if (!fields.some(([n]) => n === name)) fields.push([name, value]);
  const { body, contentType } = await multipart(fields);
  const target =
    form.action && !form.action.startsWith("javascript:") ? new URL(form.action, `${client.origin}${page}`) : null;
  const reply = await client.send(target ? target.pathname + target.search : page, {
    method: "POST",
    body,
    headers: { ...browserHeaders(client, true), "Content-Type": contentType, ...options.headers },
  });
  return { reply, outcome: outcomeOf(reply.text), form };
}

export type ActionCall = { reply: Reply; result: Json; failed: boolean };

/** Reads the action's value out of a React Server Components answer (`0:{"a":"$@1",…}` then `1:<value>`). */
function actionResult(text: string): { result: Json; failed: boolean } {
  const rows = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]+):(.*)$/.exec(line);
    if (match) rows.set(match[1]!, match[2]!);
  }
  try {
    const root = JSON.parse(rows.get("0") ?? "null") as { a?: unknown } | null;
    const ref = typeof root?.a === "string" ? /^\$@([0-9a-f]+)$/.exec(root.a)?.[1] : undefined;
    const row = ref ? rows.get(ref) : undefined;
    if (row === undefined) return { result: null, failed: true };
    if (row.startsWith("E")) return { result: JSON.parse(row.slice(1)), failed: true };
    return { result: JSON.parse(row), failed: false };
  } catch {
    return { result: null, failed: true };
  }
}

/**
 * The same action the way the page's JavaScript calls it: a POST to the page with `Next-Action: <id>`
 * and the arguments encoded as React encodes them — the form's state so far (null), then the form data.
 */
export async function callAction(
  client: Client,
  page: string,
  values: Record<string, string>,
  options: SubmitOptions = {},
): Promise<ActionCall> {
  const shown = await client.send(page, { headers: browserHeaders(client, false) });
  if (shown.status !== 200) throw new Error(`GET ${page} answered ${shown.status}: ${shown.text.slice(0, 300)}`);
  const id = actionIdOf(formWith(shown.text, Object.keys(values)[0]!, page));
  const { body, contentType } = await multipart([
    ...Object.entries(values).map(([name, value]): [string, string] => [`_1_${name}`, value]),
    ["0", '[null,"$K1"]'],
  ]);
  const reply = await client.send(page, {
    method: "POST",
    body,
    headers: {
      ...browserHeaders(client, true),
      Accept: "text/x-component",
      "Next-Action": id,
      "Content-Type": contentType,
      ...options.headers,
    },
  });
  return { reply, ...actionResult(reply.text) };
}
