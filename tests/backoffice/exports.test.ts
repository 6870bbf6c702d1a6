/**
 * CSV exports (lib/license/exports.ts and app/staff/export/[kind]/route.ts):
 * thousands of rows stream back and parse row for row, cells are escaped and
 * defused for spreadsheets, keys are masked, and only staff may download.
 * Rows are made with a random marker and filtered by it (the database is shared).
 */

import { randomBytes } from "node:crypto";
import { getDb, getSql } from "@ticketzero/core/db/client";
import { auditEvents, licenses, payments, teamMembers, teams, users } from "@ticketzero/core/db/schema";
import { staffContext } from "@ticketzero/core/license/backoffice";
import { csvCell, exportCsv, exportFilename } from "@ticketzero/core/license/exports";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { ensureUser } from "@ticketzero/core/license/teams";
import { config, resetConfig } from "@ticketzero/core/server/config";
import { inArray, like } from "drizzle-orm";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";

const session = vi.hoisted(() => ({ current: null as { id: string; email: string } | null }));
vi.mock("@/lib/auth/session", () => ({ sessionUser: async () => session.current }));

const { GET } = await import("@/app/staff/export/[kind]/route");

const marker = `exp${randomBytes(5).toString("hex")}`;
const ROWS = 3000;
const ctx = staffContext({ id: `test-staff-${marker}` });

/** RFC 4180, written separately from the exporter so a shared mistake cannot pass. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  expect(cell === "" && row.length === 0, "the file ends with a complete line").toBe(true);
  return rows;
}

async function bodyOf(response: Response | { stream: ReadableStream<Uint8Array> }) {
  const stream = response instanceof Response ? response.body! : response.stream;
  let chunks = 0;
  let text = "";
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // keep the BOM to check it is there
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    chunks++;
    text += decoder.decode(next.value, { stream: true });
  }
  expect(text.startsWith("\uFEFF")).toBe(true);
  return { rows: parseCsv(text.slice(1)), chunks };
}

const request = (path: string) => new Request(`http://localhost${path}`);
const kindParams = (kind: string) => ({ params: Promise.resolve({ kind }) });

async function signIn(email: string) {
  session.current = { id: (await ensureUser(getDb(), email)).id, email };
}

afterEach(() => {
  session.current = null;
  delete process.env.STAFF_EMAILS;
  resetConfig();
});

afterAll(async () => {
  const db = getDb();
  const ids = (
    await db
      .select({ id: licenses.id })
      .from(licenses)
      .where(like(licenses.email, `%${marker}%`))
  ).map((r) => r.id);
  if (ids.length) {
    await db.delete(payments).where(inArray(payments.licenseId, ids));
    await db.delete(auditEvents).where(inArray(auditEvents.licenseId, ids));
    await db.delete(licenses).where(inArray(licenses.id, ids));
  }
  await db.delete(auditEvents).where(like(auditEvents.action, `test.${marker}%`));
  await db.delete(teams).where(like(teams.name, `%${marker}%`));
  await db.delete(users).where(like(users.email, `%${marker}%`));
});

describe("csvCell", () => {
  it("quotes commas, quotes and line breaks, and defuses formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('Acme, "Inc"')).toBe('"Acme, ""Inc"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    for (const start of ["=", "+", "-", "@", "\t", "\r"]) {
      expect(csvCell(`${start}SUM(A1)`).replace(/^"/, "")).toMatch(/^'/);
    }
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell(-5)).toBe("-5"); // a number is not a formula
    expect(csvCell(null)).toBe("");
    expect(csvCell(new Date("2026-12-21T10:00:00Z"))).toBe("2026-12-21T10:00:00.000Z");
  });
});

describe("license export", () => {
  it(`streams ${ROWS} filtered rows in batches that parse back row for row, keys masked`, async () => {
    const sql = getSql();
    const tricky = ["Acme, Inc.", 'The "Best" MSP', "Line\nBreak Ltd", '=HYPERLINK("http://evil")', "@SUM(1)"];
    await sql`
      insert into licenses (key_hash, key_ciphertext, key_masked, plan, state, max_clients, max_tickets_per_month,
        max_activations, features, email, company, issued_at, expires_at)
      select md5(${marker} || g), 'x', 'TZ-PRO-****-****-****-' || lpad(g::text, 4, '0'), 'professional', 'active',
        10, 1000, 3, '[]'::jsonb, ${marker} || '-' || g || '@example.test',
        (${JSON.stringify(tricky)}::jsonb ->> (g % 5)) || ' ' || ${marker},
        timestamptz '2026-01-01T00:00:00Z' + g * interval '1 minute', timestamptz '2030-01-01T00:00:00Z'
      from generate_series(1, ${ROWS}) g`;

    const { filename, stream } = await exportCsv("licenses", { q: marker, plan: "professional" });
    expect(filename).toMatch(/^licenses-\d{4}-\d{2}-\d{2}\.csv$/);
    const { rows, chunks } = await bodyOf({ stream });
    expect(chunks).toBeGreaterThanOrEqual(3); // header + one chunk per 1,000-row batch, not one blob
    const [header, ...data] = rows;
    expect(header!.slice(0, 3)).toEqual(["License ID", "Key (masked)", "Plan"]);
    expect(data).toHaveLength(ROWS);
    data.forEach((row, i) => {
      const g = ROWS - i; // newest first
      expect(row).toHaveLength(header!.length);
      expect(row[1]).toBe(`TZ-PRO-****-****-****-${String(g).padStart(4, "0")}`);
      expect(row[5]).toBe(`${marker}-${g}@example.test`);
      const company = `${tricky[g % 5]} ${marker}`;
      expect(row[6]).toBe(/^[=@]/.test(company) ? `'${company}` : company);
      expect(row[9]).toBe(new Date(Date.parse("2026-01-01T00:00:00Z") + g * 60_000).toISOString());
    });
    expect(rows.flat().some((cell) => /TZ-PRO-[0-9A-Z]{4}-/.test(cell))).toBe(false);

    // The filters narrow the export as they narrow the list: a plan or status with no match gives the header alone.
    expect((await bodyOf(await exportCsv("licenses", { q: marker, plan: "starter" }))).rows).toHaveLength(1);
    expect((await bodyOf(await exportCsv("licenses", { q: marker, status: "revoked" }))).rows).toHaveLength(1);
    expect((await bodyOf(await exportCsv("licenses", { q: "TZ-PRO-0000-0000-0000-0000" }))).rows).toHaveLength(1);
  });

  it("gives the connection back when a download is cancelled", async () => {
    // More cancelled downloads than the pool has connections: a leaked cursor would leave the last query waiting.
    for (let i = 0; i < config().poolSize + 3; i++) {
      const { stream } = await exportCsv("licenses", { q: marker });
      const reader = stream.getReader();
      await reader.read(); // the header
      await reader.read(); // the first 1,000 rows
      await reader.cancel();
    }
    const [row] = await getSql()`select 1 as one`;
    expect(row?.one).toBe(1);
  });
});

describe("customers, payments and audit exports", () => {
  it("lists the team with its owner, members, licenses and revenue; payments and events with masked keys", async () => {
    const db = getDb();
    const owner = await ensureUser(db, `owner-${marker}@example.test`);
    const viewer = await ensureUser(db, `viewer-${marker}@example.test`);
    const [team] = await db
      .insert(teams)
      .values({ name: `Team ${marker}, "quoted"` })
      .returning();
    await db.insert(teamMembers).values([
      { teamId: team!.id, userId: owner.id, role: "owner" },
      { teamId: team!.id, userId: viewer.id, role: "viewer" },
    ]);
    const { license, key } = await issueLicense(
      { plan: "starter", email: `owner-${marker}@example.test`, teamId: team!.id },
      ctx,
    );
    await db.insert(payments).values({
      checkoutSessionId: `cs_${marker}`,
      licenseId: license.id,
      plan: "starter",
      email: license.email,
      amountCents: 49_900,
      mode: "test",
    });
    await db.insert(auditEvents).values({
      licenseId: license.id,
      actor: "cli",
      action: `test.${marker}`,
      detail: { note: `key ${key} pasted` },
    });

    const customers = (await bodyOf(await exportCsv("customers", { q: marker }))).rows;
    expect(customers).toHaveLength(2);
    expect(customers[1]).toEqual([
      team!.id,
      `Team ${marker}, "quoted"`,
      `owner-${marker}@example.test`,
      "2",
      "1",
      "starter",
      "499.00",
      team!.createdAt.toISOString(),
    ]);

    const paymentRows = (await bodyOf(await exportCsv("payments"))).rows;
    const payment = paymentRows.find((r) => r[1] === `cs_${marker}`);
    expect(payment?.slice(2, 7)).toEqual(["purchase", "starter", "499.00", "USD", "test"]);
    expect(payment?.[10]).toBe(license.keyMasked);

    const audit = (await bodyOf(await exportCsv("audit", { action: `test.${marker}` }))).rows;
    expect(audit).toHaveLength(2);
    expect(audit[1]![6]).toBe(license.keyMasked);
    expect(audit[1]![9]).toContain(license.keyMasked);
    expect(audit.flat().join("\n")).not.toContain(key);
  });
});

describe("GET /staff/export/[kind]", () => {
  it("refuses a signed-out visitor (401) and a signed-in customer (403) with JSON", async () => {
    const signedOut = await GET(request("/staff/export/licenses"), kindParams("licenses"));
    expect(signedOut.status).toBe(401);
    expect((await signedOut.json()).error.code).toBe("UNAUTHENTICATED");

    await signIn(`customer-${marker}@example.test`);
    for (const kind of ["licenses", "customers", "payments", "audit"]) {
      const refused = await GET(request(`/staff/export/${kind}`), kindParams(kind));
      expect(refused.status).toBe(403);
      expect(refused.headers.get("content-type")).toMatch(/application\/json/);
      expect((await refused.json()).error.code).toBe("FORBIDDEN");
    }
  });

  it("gives staff an attachment named by kind and date, with the page's filters", async () => {
    const email = `staff-${marker}@example.test`;
    process.env.STAFF_EMAILS = email;
    resetConfig();
    await signIn(email);
    const response = await GET(request(`/staff/export/licenses?q=${marker}&plan=professional`), kindParams("licenses"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${exportFilename("licenses")}"`);
    expect((await bodyOf(response)).rows).toHaveLength(ROWS + 1);

    const unknown = await GET(request("/staff/export/secrets"), kindParams("secrets"));
    expect(unknown.status).toBe(404);
  });
});
