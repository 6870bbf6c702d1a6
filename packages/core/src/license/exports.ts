/**
 * CSV exports of the back office: licenses (with the list's filters),
 * customers (teams), payments and the audit log. Rows are streamed from a
 * PostgreSQL cursor (DECLARE … CURSOR, one snapshot for the whole file), 1,000
 * at a time, into a web ReadableStream: memory stays flat however many rows
 * there are, and a cancelled download closes the cursor. A declared cursor is
 * planned for its first rows (cursor_tuple_fraction), so the first rows of a
 * million come at once rather than after a whole-table sort. Keys appear
 * masked only.
 */
import { desc, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type postgres from "postgres";
import { getSql } from "../db/client";
import { auditEvents, licenses, payments, teams } from "../db/schema";
import { customerWhere, licenseFilter, type SearchInput, statusSql } from "./backoffice";
import { maskKeysIn } from "./keys";

export const EXPORT_KINDS = ["licenses", "customers", "payments", "audit"] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const isExportKind = (v: unknown): v is ExportKind =>
  typeof v === "string" && (EXPORT_KINDS as readonly string[]).includes(v);

/** Rows fetched per round trip. */
export const EXPORT_BATCH = 1000;

// ---------------------------------------------------------------- CSV

/** A spreadsheet would run a cell starting with one of these as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break,
 * and a text cell that a spreadsheet would read as a formula gets a leading `'`.
 * Numbers are written as they are (a negative amount is not a formula).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  let text = value instanceof Date ? value.toISOString() : typeof value === "string" ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvRow = (values: readonly unknown[]): string => `${values.map(csvCell).join(",")}\r\n`;

/** `licenses-2026-12-21.csv` (the UTC date of the export). */
export const exportFilename = (kind: ExportKind, now = new Date()) => `${kind}-${now.toISOString().slice(0, 10)}.csv`;

// ---------------------------------------------------------------- queries

type Row = Record<string, unknown>;
type ExportSpec = { columns: string[]; query: SQL; toCells: (row: Row) => unknown[] };

/** Timestamps as ISO 8601 UTC text, formatted by the database (the cursor hands back raw text). */
const iso = (column: SQLWrapper) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const cents = (value: unknown) => (Number(value ?? 0) / 100).toFixed(2);

async function licensesSpec(filters: SearchInput, now: Date): Promise<ExportSpec | null> {
  const filter = await licenseFilter(filters, now);
  if (filter.none) return null;
  const where = filter.where ? sql`where ${filter.where}` : sql``;
  return {
    columns: [
      "License ID",
      "Key (masked)",
      "Plan",
      "Status",
      "State",
      "Email",
      "Company",
      "Customer ID",
      "Customer",
      "Issued at (UTC)",
      "Expires at (UTC)",
      "Max activations",
      "Max clients",
      "Max tickets per month",
    ],
    query: sql`select ${licenses.id} as id, ${licenses.keyMasked} as key_masked, ${licenses.plan} as plan,
        ${statusSql(now)} as status, ${licenses.state} as state, ${licenses.email} as email,
        ${licenses.company} as company, ${licenses.teamId} as team_id, ${teams.name} as team_name,
        ${iso(licenses.issuedAt)} as issued_at, ${iso(licenses.expiresAt)} as expires_at,
        ${licenses.maxActivations} as max_activations, ${licenses.maxClients} as max_clients,
        ${licenses.maxTicketsPerMonth} as max_tickets
      from ${licenses} left join ${teams} on ${teams.id} = ${licenses.teamId}
      ${where}
      order by ${desc(licenses.issuedAt)}, ${desc(licenses.id)}`,
    toCells: (r) => [
      r.id,
      r.key_masked,
      r.plan,
      r.status,
      r.state,
      r.email,
      r.company,
      r.team_id,
      r.team_name,
      r.issued_at,
      r.expires_at,
      r.max_activations,
      r.max_clients,
      r.max_tickets,
    ],
  };
}

function customersSpec(q: string | null): ExportSpec {
  const condition = customerWhere((q ?? "").trim().slice(0, 200));
  const where = condition ? sql`where ${condition}` : sql``;
  // Each team's figures by index (lateral subqueries), in the list's order: the file starts at
  // once; whole-table aggregates joined once would hold the first row back until all were counted.
  return {
    columns: [
      "Customer ID",
      "Name",
      "Owner email",
      "Members",
      "Licenses",
      "Plans",
      "Revenue (USD)",
      "Created at (UTC)",
    ],
    query: sql`select ${teams.id} as id, ${teams.name} as name, ${iso(teams.createdAt)} as created_at, o.email as owner_email,
        coalesce(m.members, 0)::int as members, coalesce(l.licenses, 0)::int as licenses, l.plans,
        coalesce(p.cents, 0)::float8 as revenue_cents
      from ${teams}
      left join lateral (select count(*) as members from team_members tm where tm.team_id = ${teams.id}) m on true
      left join lateral (select u.email from team_members tm join users u on u.id = tm.user_id
        where tm.team_id = ${teams.id} and tm.role = 'owner' order by tm.created_at, u.email limit 1) o on true
      left join lateral (select count(*) as licenses, string_agg(distinct li.plan, ' ' order by li.plan) as plans
        from licenses li where li.team_id = ${teams.id}) l on true
      left join lateral (select sum(pa.amount_cents) as cents from licenses li
        join payments pa on coalesce(pa.license_id, pa.renew_license_id) = li.id
        where li.team_id = ${teams.id}) p on true
      ${where}
      order by ${desc(teams.createdAt)}, ${desc(teams.id)}`,
    toCells: (r) => [r.id, r.name, r.owner_email, r.members, r.licenses, r.plans, cents(r.revenue_cents), r.created_at],
  };
}

function paymentsSpec(): ExportSpec {
  return {
    columns: [
      "Paid at (UTC)",
      "Payment ID",
      "Kind",
      "Plan",
      "Amount",
      "Currency",
      "Mode",
      "Email",
      "Company",
      "License ID",
      "Key (masked)",
      "Customer ID",
    ],
    query: sql`select ${iso(payments.createdAt)} as created_at, ${payments.checkoutSessionId} as id,
        ${payments.kind} as kind, ${payments.plan} as plan, ${payments.amountCents} as amount_cents,
        ${payments.currency} as currency, ${payments.mode} as mode, ${payments.email} as email,
        ${payments.company} as company, ${licenses.id} as license_id, ${licenses.keyMasked} as key_masked,
        ${licenses.teamId} as team_id
      from ${payments}
      left join ${licenses} on ${licenses.id} = coalesce(${payments.licenseId}, ${payments.renewLicenseId})
      order by ${desc(payments.createdAt)}, ${desc(payments.checkoutSessionId)}`,
    toCells: (r) => [
      r.created_at,
      r.id,
      r.kind,
      r.plan,
      cents(r.amount_cents),
      String(r.currency ?? "").toUpperCase(),
      r.mode,
      r.email,
      r.company,
      r.license_id,
      r.key_masked,
      r.team_id,
    ],
  };
}

function auditSpec(action: string | null): ExportSpec {
  const where = action ? sql`where ${auditEvents.action} = ${action.slice(0, 100)}` : sql``;
  return {
    columns: [
      "Event ID",
      "At (UTC)",
      "Action",
      "Actor",
      "Actor email",
      "License ID",
      "Key (masked)",
      "Customer ID",
      "IP",
      "Detail",
    ],
    query: sql`select ${auditEvents.id} as id, ${iso(auditEvents.at)} as at, ${auditEvents.action} as action,
        ${auditEvents.actor} as actor, u.email as actor_email, ${auditEvents.licenseId} as license_id,
        ${licenses.keyMasked} as key_masked, ${auditEvents.teamId} as team_id, ${auditEvents.ip} as ip,
        ${auditEvents.detail} as detail
      from ${auditEvents}
      left join ${licenses} on ${licenses.id} = ${auditEvents.licenseId}
      left join users u on ${auditEvents.actor} ~ '^(staff|user):'
        and u.id = substr(${auditEvents.actor}, strpos(${auditEvents.actor}, ':') + 1)
      ${where}
      order by ${desc(auditEvents.at)}, ${desc(auditEvents.id)}`,
    toCells: (r) => [
      Number(r.id),
      r.at,
      r.action,
      r.actor,
      r.actor_email,
      r.license_id,
      r.key_masked,
      r.team_id,
      r.ip,
      // The detail is free-form: anything shaped like a key in it is masked.
      r.detail === null || r.detail === undefined ? "" : maskKeysIn(JSON.stringify(r.detail)),
    ],
  };
}

export type ExportParams = SearchInput & { action?: string | null };

// ---------------------------------------------------------------- stream

const dialect = new PgDialect();

/** Header row first, then each cursor batch as one chunk; `cancel` (the browser gave up) closes the cursor. */
function csvStream(spec: ExportSpec | null, columns: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let connection: postgres.ReservedSql | null = null;
  let opened = false;
  /** Ends the cursor's transaction and gives the connection back (once). */
  const close = async () => {
    const current = connection;
    connection = null;
    if (!current) return;
    try {
      await current`rollback`;
    } catch {
      // The connection broke: nothing to end.
    } finally {
      current.release();
    }
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // A byte-order mark so spreadsheets read the file as UTF-8 (names with accents).
      controller.enqueue(encoder.encode(`\uFEFF${csvRow(columns)}`));
    },
    async pull(controller) {
      if (!spec || (opened && !connection)) {
        controller.close();
        return;
      }
      try {
        if (!opened) {
          opened = true;
          const { sql: text, params } = dialect.sqlToQuery(spec.query);
          connection = await getSql().reserve();
          await connection`begin isolation level repeatable read read only`;
          // JIT compiles for a whole-table plan's cost; the cursor wants its first rows now.
          await connection`set local jit = off`;
          await connection.unsafe(`declare tz_export no scroll cursor for ${text}`, params as never[]);
        }
        const rows = (await connection!.unsafe(`fetch ${EXPORT_BATCH} from tz_export`)) as unknown as Row[];
        if (rows.length === 0) {
          await close();
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(rows.map((row) => csvRow(spec.toCells(row))).join("")));
      } catch (error) {
        await close();
        throw error;
      }
    },
    async cancel() {
      await close();
    },
  });
}

/** The export of `kind` with the list page's filters, as a stream of CSV bytes and its file name. */
export async function exportCsv(
  kind: ExportKind,
  params: ExportParams = {},
  now = new Date(),
): Promise<{ filename: string; stream: ReadableStream<Uint8Array> }> {
  const spec =
    kind === "licenses"
      ? await licensesSpec(params, now)
      : kind === "customers"
        ? customersSpec(params.q ?? null)
        : kind === "payments"
          ? paymentsSpec()
          : auditSpec(params.action ?? null);
  // A search that can match nothing (an unknown full key) exports the header alone.
  const columns = spec?.columns ?? (await licensesSpec({}, now))!.columns;
  return { filename: exportFilename(kind, now), stream: csvStream(spec, columns) };
}
