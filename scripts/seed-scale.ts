/**
 * `npm run seed:scale -- --licenses 1000000`: scale data for measuring the portal at size.
 *
 * Loads N licenses (a mix of plans and states, real keys), their customers (users, teams, owners,
 * one trial per email), ~3 activations per license, a year of usage (12 usage_months rows per
 * license), a payment per paid license and a few audit events per license, with COPY. Keys are
 * real: `key_hash`, `key_ciphertext` and `key_masked` come from the app's own vault and key
 * functions with the server secrets of DATA_DIR (or the LICENSE_* environment), so a server
 * started with the same DATA_DIR / secrets finds them. A sample of real keys with an activated
 * installation of a usable license is written to `<DATA_DIR>/scale-keys.json` (0600) for the
 * status benchmark (`npm run scale:figures`).
 *
 * Target: DATABASE_URL if set, else the embedded database of DATA_DIR (default `.data`).
 * Migrations are applied first. On a database that already holds licenses it refuses unless
 * `--reset` is given, which empties every application table (licenses, accounts, payments,
 * audit, webhooks, outbox, rate limits) first.
 *
 * Progress goes to stderr (rows done/total, rows/s, ETA); the elapsed time per table to stdout.
 * The secondary indexes and foreign keys of the big tables are dropped for the load and
 * re-created afterwards (their definitions read from the catalog, so they come back exactly).
 */
import "./support/require-supported-node";
import { randomUUID } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";

const HELP = `Usage: npm run seed:scale -- [--licenses N] [--reset] [--sample N]

  --licenses N   licenses to load (default 1000000); with ~3 activations, 12 usage months,
                 ~3 audit events each, a customer (user + team) per ~2.5 licenses and a
                 payment per paid license
  --reset        empty the application tables first (refused on a non-empty database otherwise)
  --sample N     real keys with an activated installation written to <DATA_DIR>/scale-keys.json
                 (default 1000, mode 0600)

DATABASE_URL selects the database (else the embedded one of DATA_DIR, default .data).
Secrets: LICENSE_* from the environment, else <DATA_DIR>/secrets.json (created if missing).`;

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const N = Number(arg("licenses") ?? 1_000_000);
const SAMPLE = Number(arg("sample") ?? 1000);
const RESET = process.argv.includes("--reset");
if (!Number.isInteger(N) || N < 1 || N > 50_000_000 || !Number.isInteger(SAMPLE) || SAMPLE < 0) {
  console.error(HELP);
  process.exit(2);
}

process.env.APP_ENV ??= "development"; // secrets from DATA_DIR unless the environment sets them
process.env.JOBS = "off";

const { config } = await import("@ticketzero/core/server/config");
const { hashKey, encryptKey } = await import("@ticketzero/core/license/vault");
const { generateKey, maskKey } = await import("@ticketzero/core/license/keys");
const { PLANS } = await import("@ticketzero/core/license/plans");
const { runMigrations } = await import("@ticketzero/core/db/migrate");
const postgres = (await import("postgres")).default;
type PlanId = keyof typeof PLANS;

const dataDir = config().dataDir;
let stopEmbedded: (() => Promise<void>) | null = null;
let url = process.env.DATABASE_URL;
if (!url) {
  const { ensureEmbeddedDatabase } = await import("@ticketzero/core/db/embedded");
  const handle = await ensureEmbeddedDatabase(dataDir);
  url = handle.url;
  stopEmbedded = () => handle.stop();
}
await runMigrations(url);
const sql = postgres(url, { max: 4, onnotice: () => {}, connection: { application_name: "tz-seed-scale" } });

// ---------------------------------------------------------------- progress

function progress(label: string, total: number) {
  const started = performance.now();
  let done = 0;
  let last = 0;
  const draw = (final = false) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const line = `${label.padEnd(14)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${Math.round(rate).toLocaleString("en-US")} rows/s ETA ${eta.toFixed(0)} s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    else if (final || performance.now() - last > 5000) {
      process.stderr.write(`${line}\n`);
      last = performance.now();
    }
  };
  let drawn = 0;
  return {
    add(n: number) {
      done += n;
      if (performance.now() - drawn > 200) {
        drawn = performance.now();
        draw();
      }
    },
    end() {
      draw(true);
      return (performance.now() - started) / 1000;
    },
  };
}

// ---------------------------------------------------------------- COPY

/** COPY text format: backslash, tab, newline and carriage return escaped; null is \N. */
function field(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "\\N";
  const text = String(value);
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!)
    : text;
}
const line = (values: (string | number | boolean | null | undefined)[]) => `${values.map(field).join("\t")}\n`;

/** Streams rows from `produce` (called per chunk until it returns false) into `copy <table> (<columns>) from stdin`. */
async function copyInto(
  table: string,
  columns: string[],
  total: number,
  produce: (push: (row: (string | number | boolean | null | undefined)[]) => void) => boolean,
): Promise<{ rows: number; seconds: number }> {
  const bar = progress(table, total);
  const stream: Writable = await sql.unsafe(`copy ${table} (${columns.join(", ")}) from stdin`).writable();
  let rows = 0;
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", reject);
  });
  for (;;) {
    let chunk = "";
    let n = 0;
    const more = produce((row) => {
      chunk += line(row);
      n++;
    });
    if (chunk) {
      rows += n;
      bar.add(n);
      if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
    }
    if (!more) break;
  }
  stream.end();
  await finished;
  return { rows, seconds: bar.end() };
}

// ---------------------------------------------------------------- the shape of the data

/** A small fast PRNG (mulberry32) so runs are alike; keys still come from the CSPRNG. */
let seed = 0x5eed1234;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const DAY = 86_400_000;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

const FIRST = ["alex", "sam", "jo", "maria", "li", "omar", "anna", "ken", "priya", "tom", "eva", "raj", "nina", "ben"];
const LAST = ["smith", "garcia", "chen", "mueller", "rossi", "khan", "novak", "silva", "kim", "dubois", "ivanov"];
const WORDS = ["Acme", "Blue", "Nordic", "Apex", "Vertex", "Harbor", "Summit", "Pixel", "Iron", "Cedar", "Orbit"];
const KINDS = ["IT", "Networks", "Managed Services", "Systems", "Tech", "Support", "Cloud", "Solutions"];
const SUFFIX = ["LLC", "Ltd", "GmbH", "Inc.", "BV", "SRL", "AB", "Oy"];

const CUSTOMERS = Math.max(1, Math.round(N * 0.4));
type Customer = { userId: string; teamId: string; email: string; company: string };
function customer(i: number): Customer {
  const company = `${WORDS[i % WORDS.length]} ${KINDS[(i >> 3) % KINDS.length]} ${i} ${SUFFIX[(i >> 5) % SUFFIX.length]}`;
  const domain = `${WORDS[i % WORDS.length]!.toLowerCase()}-${i}.example`;
  const email = `${FIRST[i % FIRST.length]}.${LAST[(i >> 2) % LAST.length]}${i}@${domain}`;
  return { userId: "", teamId: "", email, company };
}

type License = {
  id: string;
  customer: number;
  plan: PlanId;
  state: string;
  issuedAt: number;
  expiresAt: number;
  graceEndsAt: number | null;
  onTeam: boolean;
  maxActivations: number;
  usable: boolean;
};

const customers: { userId: string; teamId: string; created: number }[] = [];
const licensesMeta: License[] = [];
const sample: { key: string; instanceId: string; licenseId: string; plan: string }[] = [];
const sampleEvery = Math.max(1, Math.floor(N / Math.max(1, SAMPLE * 3)));

function planFor(i: number): PlanId {
  // The customer's first license: a trial for 60% of them; later ones are paid.
  if (i < CUSTOMERS) return random() < 0.6 ? "trial" : pick(["starter", "starter", "professional"] as const);
  const r = random();
  return r < 0.45 ? "starter" : r < 0.85 ? "professional" : "enterprise";
}

// ---------------------------------------------------------------- run

const timings: { table: string; rows: number; seconds: number }[] = [];
const overall = performance.now();

try {
  const [{ n } = { n: 0 }] = await sql<
    { n: number }[]
  >`select count(*)::int as n from (select 1 from licenses limit 1) x`;
  if (n > 0 && !RESET) {
    console.error("seed:scale: the database already holds licenses. Run with --reset to empty it first (see --help).");
    process.exitCode = 1;
  } else {
    if (RESET) {
      const started = performance.now();
      await sql`truncate licenses, activations, air_gapped_requests, slot_swaps, usage_months, reminders, trials,
        payments, checkout_sessions, subscriptions, processed_events, audit_events, mail_outbox, rate_limits,
        teams, team_members, users, accounts, sessions, verification_tokens, staff_api_tokens,
        webhook_endpoints, webhook_events, webhook_deliveries, webhook_attempts restart identity cascade`;
      console.log(`reset: emptied the application tables in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    await load();
  }
} finally {
  await sql.end({ timeout: 5 });
  await stopEmbedded?.();
}

async function load() {
  // Secondary indexes and foreign keys of the big tables go for the load and come back after it.
  const big = [
    "licenses",
    "activations",
    "usage_months",
    "audit_events",
    "payments",
    "teams",
    "team_members",
    "users",
    "trials",
  ];
  const indexes = await sql<{ name: string; def: string }[]>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.schemaname = 'public' and i.tablename = any(${big})
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;
  const constraintsOf = (types: string[]) => sql<{ table: string; name: string; def: string; type: string }[]>`
    select rel.relname as table, c.conname as name, pg_get_constraintdef(c.oid) as def, c.contype as type
    from pg_constraint c join pg_class rel on rel.oid = c.conrelid
    join pg_namespace ns on ns.oid = rel.relnamespace
    where ns.nspname = 'public' and c.contype = any(${types}) and rel.relname = any(${big})
      and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.confrelid = c.conrelid)`;
  // Foreign keys first (they depend on the keys), then the keys nothing else refers to, then plain indexes.
  const foreignKeys = await constraintsOf(["f"]);
  for (const c of foreignKeys) await sql.unsafe(`alter table "${c.table}" drop constraint "${c.name}"`);
  const keys = await constraintsOf(["p", "u"]);
  for (const c of keys) await sql.unsafe(`alter table "${c.table}" drop constraint "${c.name}"`);
  for (const i of indexes) await sql.unsafe(`drop index "${i.name}"`);
  const constraints = [...foreignKeys, ...keys];
  console.log(`dropped ${indexes.length} indexes and ${constraints.length} constraints for the load`);

  try {
    await loadTables();
  } finally {
    const started = performance.now();
    // Two builds at once, each on its own connection (keys before the foreign keys that need them).
    await runParallel(
      [
        ...keys.map((c) => `alter table "${c.table}" add constraint "${c.name}" ${c.def}`),
        ...indexes.map((i) => i.def),
      ],
      2,
    );
    await runParallel(
      foreignKeys.map((c) => `alter table "${c.table}" add constraint "${c.name}" ${c.def}`),
      2,
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`indexes and constraints restored in ${seconds.toFixed(1)} s`);
    timings.push({ table: "(indexes, constraints)", rows: indexes.length + constraints.length, seconds });
    const analyzed = performance.now();
    // What autovacuum would do soon after such a load: statistics, and the visibility map index-only scans need.
    await sql`vacuum (analyze)`;
    timings.push({ table: "(vacuum analyze)", rows: 0, seconds: (performance.now() - analyzed) / 1000 });
  }
  writeSample();
  console.log("\ntable                    rows          seconds   rows/s");
  for (const t of timings) {
    console.log(
      `${t.table.padEnd(24)} ${t.rows.toLocaleString("en-US").padStart(12)}  ${t.seconds.toFixed(1).padStart(8)}  ${t.seconds > 0 && t.rows > 100 ? Math.round(t.rows / t.seconds).toLocaleString("en-US") : ""}`,
    );
  }
  console.log(`total ${((performance.now() - overall) / 1000).toFixed(1)} s`);
}

async function runParallel(statements: string[], width: number) {
  const queue = statements.slice();
  await Promise.all(
    Array.from({ length: width }, async () => {
      await sql.reserve().then(async (conn) => {
        try {
          await conn`set maintenance_work_mem = '256MB'`;
          for (let next = queue.shift(); next; next = queue.shift()) await conn.unsafe(next);
        } finally {
          conn.release();
        }
      });
    }),
  );
}

async function loadTables() {
  const CHUNK = 2000;
  // users, teams, owners
  {
    let i = 0;
    const created = () => now - Math.floor((1 - i / CUSTOMERS) * 730 * DAY) - Math.floor(random() * DAY);
    timings.push({
      table: "users",
      ...(await copyInto(
        "users",
        ["id", "name", "email", "email_verified", "company", "created_at"],
        CUSTOMERS,
        (push) => {
          for (let k = 0; k < CHUNK && i < CUSTOMERS; k++, i++) {
            const c = customer(i);
            const at = created();
            const userId = randomUUID();
            customers.push({ userId, teamId: randomUUID(), created: at });
            push([userId, c.email.split("@")[0]!.replace(/[0-9]+$/, ""), c.email, iso(at), c.company, iso(at)]);
          }
          return i < CUSTOMERS;
        },
      )),
    });
    i = 0;
    timings.push({
      table: "teams",
      ...(await copyInto("teams", ["id", "name", "created_at"], CUSTOMERS, (push) => {
        for (let k = 0; k < CHUNK && i < CUSTOMERS; k++, i++) {
          push([customers[i]!.teamId, customer(i).company, iso(customers[i]!.created)]);
        }
        return i < CUSTOMERS;
      })),
    });
    i = 0;
    timings.push({
      table: "team_members",
      ...(await copyInto(
        "team_members",
        ["team_id", "user_id", "role", "created_at", "accepted_at"],
        CUSTOMERS,
        (push) => {
          for (let k = 0; k < CHUNK && i < CUSTOMERS; k++, i++) {
            const c = customers[i]!;
            push([c.teamId, c.userId, "owner", iso(c.created), iso(c.created)]);
          }
          return i < CUSTOMERS;
        },
      )),
    });
  }

  // licenses (keys from the app's own functions), trials
  {
    let i = 0;
    const trialKeys = new Set<string>();
    const trialRows: { email: string; licenseId: string; at: number }[] = [];
    timings.push({
      table: "licenses",
      ...(await copyInto(
        "licenses",
        [
          "id",
          "key_hash",
          "key_ciphertext",
          "key_masked",
          "plan",
          "state",
          "max_clients",
          "max_tickets_per_month",
          "max_activations",
          "features",
          "email",
          "company",
          "team_id",
          "issued_at",
          "expires_at",
          "grace_ends_at",
          "superseded_by",
          "updated_at",
        ],
        N,
        (push) => {
          for (let k = 0; k < CHUNK && i < N; k++, i++) {
            const owner = i < CUSTOMERS ? i : Math.floor(random() * CUSTOMERS);
            const c = customer(owner);
            const plan = planFor(i);
            const spec = PLANS[plan];
            let key = generateKey(plan);
            if (plan === "trial") {
              while (trialKeys.has(key)) key = generateKey(plan);
              trialKeys.add(key);
            }
            // Issued over the last two years, in order of i (newer licenses later), a trial after its customer.
            const issuedAt = Math.max(
              customers[owner]!.created,
              now - Math.floor((1 - i / N) * 730 * DAY) - Math.floor(random() * DAY),
            );
            let expiresAt = issuedAt + (plan === "trial" ? 30 : 365) * DAY;
            // Most paid licenses renew: pushed out by whole years past today for 70% of them.
            if (plan !== "trial" && expiresAt < now && random() < 0.7) expiresAt += 365 * DAY;
            const r = random();
            let state = "active";
            let graceEndsAt: number | null = null;
            if (plan !== "trial" && r < 0.05) {
              state = "superseded";
              graceEndsAt = Math.min(expiresAt, issuedAt + 60 * DAY);
            } else if (r < 0.08) state = "suspended";
            else if (r < 0.1) state = "revoked";
            const onTeam = plan !== "trial" || random() < 0.9;
            const id = randomUUID();
            const usable = state === "active" && expiresAt > now;
            licensesMeta.push({
              id,
              customer: owner,
              plan,
              state,
              issuedAt,
              expiresAt,
              graceEndsAt,
              onTeam,
              maxActivations: spec.limits.maxActivations,
              usable,
            });
            if (usable && sample.length < SAMPLE && i % sampleEvery === 0) {
              sample.push({ key, instanceId: `inst-${i}-0`, licenseId: id, plan });
            }
            if (plan === "trial" && i < CUSTOMERS) trialRows.push({ email: c.email, licenseId: id, at: issuedAt });
            push([
              id,
              hashKey(key),
              encryptKey(key),
              maskKey(key),
              plan,
              state,
              spec.limits.maxClients,
              spec.limits.maxTicketsPerMonth,
              spec.limits.maxActivations,
              JSON.stringify(spec.features),
              c.email,
              c.company,
              onTeam ? customers[owner]!.teamId : null,
              iso(issuedAt),
              iso(expiresAt),
              graceEndsAt === null ? null : iso(graceEndsAt),
              null,
              iso(issuedAt),
            ]);
          }
          return i < N;
        },
      )),
    });
    let t = 0;
    timings.push({
      table: "trials",
      ...(await copyInto("trials", ["email", "license_id", "created_at"], trialRows.length, (push) => {
        for (let k = 0; k < CHUNK && t < trialRows.length; k++, t++) {
          const row = trialRows[t]!;
          push([row.email, row.licenseId, iso(row.at)]);
        }
        return t < trialRows.length;
      })),
    });
  }

  // activations: 3 per license; as many active as the plan allows on a usable license, the rest deactivated
  {
    let i = 0;
    const PER = 3;
    timings.push({
      table: "activations",
      ...(await copyInto(
        "activations",
        [
          "license_id",
          "instance_id",
          "instance_name",
          "activated_at",
          "last_seen_at",
          "clients",
          "certificate_expires_at",
          "deactivated_at",
          "deactivated_by",
          "slot_frees_at",
        ],
        N * PER,
        (push) => {
          for (let k = 0; k < CHUNK && i < N; k++, i++) {
            const l = licensesMeta[i]!;
            const alive = l.state === "active" || l.state === "suspended" || l.state === "superseded";
            for (let j = 0; j < PER; j++) {
              const activatedAt = l.issuedAt + Math.floor(random() * 5 * DAY);
              const active = alive && j < l.maxActivations && !(l.expiresAt < now && random() < 0.5);
              // Active ones checked in within the last two days (a few silent for longer: the cull's work).
              const lastSeen = active
                ? random() < 0.002
                  ? now - 8 * DAY - Math.floor(random() * 5 * DAY)
                  : now - Math.floor(random() * 2 * DAY)
                : Math.min(now - DAY, activatedAt + Math.floor(random() * 90 * DAY));
              const deactivatedAt = active ? null : lastSeen + Math.floor(random() * DAY);
              push([
                l.id,
                `inst-${i}-${j}`,
                `Site ${j + 1}`,
                iso(activatedAt),
                iso(lastSeen),
                Math.floor(random() * 5),
                iso(Math.min(lastSeen + 7 * DAY, l.expiresAt)),
                deactivatedAt === null ? null : iso(deactivatedAt),
                deactivatedAt === null ? null : pick(["installation", "account", "heartbeat", "staff"]),
                deactivatedAt === null ? null : iso(deactivatedAt),
              ]);
            }
          }
          return i < N;
        },
      )),
    });
  }

  // usage: the last 12 UTC months per license
  {
    const d = new Date(now);
    const periods: string[] = [];
    for (let back = 11; back >= 0; back--) {
      const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
      periods.push(`${m.getUTCFullYear()}-${String(m.getUTCMonth() + 1).padStart(2, "0")}`);
    }
    let i = 0;
    timings.push({
      table: "usage_months",
      ...(await copyInto("usage_months", ["license_id", "period", "tickets"], N * 12, (push) => {
        for (let k = 0; k < CHUNK / 4 && i < N; k++, i++) {
          const l = licensesMeta[i]!;
          const limit = PLANS[l.plan].limits.maxTicketsPerMonth;
          for (const period of periods) push([l.id, period, Math.floor(random() * limit * 0.7)]);
        }
        return i < N;
      })),
    });
  }

  // payments: one per paid license (its purchase)
  {
    let i = 0;
    const paid = licensesMeta.filter((l) => l.plan !== "trial").length;
    timings.push({
      table: "payments",
      ...(await copyInto(
        "payments",
        ["checkout_session_id", "license_id", "plan", "email", "company", "amount_cents", "mode", "kind", "created_at"],
        paid,
        (push) => {
          for (let k = 0; k < CHUNK && i < N; i++) {
            const l = licensesMeta[i]!;
            if (l.plan === "trial") continue;
            k++;
            const c = customer(l.customer);
            push([
              `cs_test_scale_${i}`,
              l.id,
              l.plan,
              c.email,
              c.company,
              PLANS[l.plan].priceCents,
              "test",
              "purchase",
              iso(l.issuedAt),
            ]);
          }
          return i < N;
        },
      )),
    });
  }

  // audit: issued, an activation, sometimes a state change or an extension
  {
    let i = 0;
    timings.push({
      table: "audit_events",
      ...(await copyInto(
        "audit_events",
        ["at", "license_id", "team_id", "actor", "action", "detail", "ip"],
        N * 3,
        (push) => {
          for (let k = 0; k < CHUNK && i < N; k++, i++) {
            const l = licensesMeta[i]!;
            const teamId = l.onTeam ? customers[l.customer]!.teamId : null;
            push([
              iso(l.issuedAt),
              l.id,
              teamId,
              l.plan === "trial" ? "system" : "stripe",
              l.plan === "trial" ? "trial.started" : "license.issued",
              JSON.stringify({ plan: l.plan }),
              null,
            ]);
            push([
              iso(l.issuedAt + 3_600_000),
              l.id,
              null,
              `installation:inst-${i}-0`,
              "activation.created",
              JSON.stringify({ instanceId: `inst-${i}-0`, instanceName: "Site 1" }),
              `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
            ]);
            const later = Math.min(now - 1000, l.issuedAt + 20 * DAY);
            if (l.state === "suspended") {
              push([iso(later), l.id, null, "cli", "license.suspended", JSON.stringify({ reason: "unpaid" }), null]);
            } else if (l.state === "revoked") {
              push([iso(later), l.id, null, "cli", "license.revoked", JSON.stringify({ reason: "chargeback" }), null]);
            } else if (l.state === "superseded") {
              push([iso(later), l.id, null, "stripe", "license.superseded", "{}", null]);
            } else {
              push([
                iso(later),
                l.id,
                null,
                "system",
                "reminder.sent",
                JSON.stringify({ kind: l.plan === "trial" ? "trial_ending_3d" : "expiry_30d" }),
                null,
              ]);
            }
          }
          return i < N;
        },
      )),
    });
  }
}

function writeSample() {
  const file = path.join(dataDir, "scale-keys.json");
  writeFileSync(file, JSON.stringify({ licenses: N, keys: sample }, null, 1), { mode: 0o600 });
  chmodSync(file, 0o600);
  console.log(`wrote ${sample.length} real keys with an activated installation to ${file} (0600)`);
}
