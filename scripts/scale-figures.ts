/**
 * `npm run scale:figures`: the portal's answer times on a database seeded by `npm run seed:scale`.
 *
 * For DATABASE_URL + DATA_DIR (the seeded database and the data folder holding its secrets and
 * `scale-keys.json`), and, when set, COMPARE_DATABASE_URL + COMPARE_DATA_DIR (e.g. the same
 * seed at 1,000 licenses), starts the production server (`npm run build` first; development
 * settings so no Stripe or SMTP is needed; JOBS=off so the job runner leaves the data alone),
 * signs in a staff member and a customer (a database session, as next-auth's own sign-in
 * leaves: the session cookie), creates a read-scoped staff API token, and times every staff
 * page, the CSV exports (time to the first data row: they stream; plus one full download each), the staff API's reads, the
 * account pages, and `GET /api/license-status` for the sample of real keys with their
 * activated installation. RUNS (default 20) requests each after 2 warm-ups; prints p50, p95
 * and max per request (p99 for the status call) and flags every p95 over 300 ms. A request whose
 * warm-up takes over 2 s is timed 5 times, one over 20 s once (the warm-up itself); one not answered
 * in 60 s counts as 60 s with status 0. ONLY=<regexp> keeps the requests whose label matches.
 *
 * FULL_EXPORTS=1 also downloads each export once, whole, and prints its rows, size and time.
 * The staff member, token and sessions it creates are removed at the end.
 */
import "./support/require-supported-node";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "@ticketzero/core/server/free-port";
import postgres from "postgres";
import { children, type Server, spawnServer } from "./support/processes";

const root = path.resolve(import.meta.dirname, "..");
const RUNS = Number(process.env.RUNS || 20);
const LIMIT_MS = 300;
const STAFF_EMAIL = "scale-figures-staff@ticketzero.test";

type Target = { label: string; url: string; dataDir: string };
const targets: Target[] = [];
if (!process.env.DATABASE_URL || !process.env.DATA_DIR) {
  console.error("scale:figures: set DATABASE_URL and DATA_DIR to a database seeded by `npm run seed:scale`");
  process.exit(2);
}
targets.push({ label: "main", url: process.env.DATABASE_URL, dataDir: path.resolve(process.env.DATA_DIR) });
if (process.env.COMPARE_DATABASE_URL && process.env.COMPARE_DATA_DIR) {
  targets.push({
    label: "compare",
    url: process.env.COMPARE_DATABASE_URL,
    dataDir: path.resolve(process.env.COMPARE_DATA_DIR),
  });
}
if (!existsSync(path.join(root, ".next/BUILD_ID"))) {
  console.error("scale:figures: no production build; run `npm run build` first");
  process.exit(2);
}
const ONLY = process.env.ONLY ? new RegExp(process.env.ONLY) : null;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill("SIGKILL");
    process.exit(130);
  });
}

async function startServer(target: Target): Promise<Server> {
  const port = await freePort();
  return spawnServer(
    "scripts/start.ts",
    [],
    {
      NODE_ENV: "production",
      APP_ENV: "development",
      PORT: String(port),
      DATA_DIR: target.dataDir,
      DATABASE_URL: target.url,
      PUBLIC_URL: `http://localhost:${port}`,
      JOBS: "off",
      RATE_LIMIT_KEY_PER_MINUTE: "100000000",
      TRUST_PROXY: "",
    },
    `on http://localhost:${port}`,
  );
}

type Probe = { label: string; path: string; as: "staff" | "customer" | "token"; firstByte?: boolean };
type Measured = { label: string; p50: number; p95: number; p99: number; max: number; n: number; status: string };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

function summarise(label: string, times: number[], statuses: Set<number>): Measured {
  const sorted = times.slice().sort((a, b) => a - b);
  return {
    label,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    n: sorted.length,
    status: [...statuses].join(","),
  };
}

const TIMEOUT_MS = 60_000;

/** One request's time; a request not answered within TIMEOUT_MS counts as that long, status 0. */
async function timed(url: string, headers: Record<string, string>, firstByte: boolean) {
  const started = performance.now();
  try {
    return await timedOnce(url, headers, firstByte, started);
  } catch (error) {
    if ((error as Error).name !== "TimeoutError") throw error;
    return { ms: performance.now() - started, status: 0 };
  }
}

async function timedOnce(url: string, headers: Record<string, string>, firstByte: boolean, started: number) {
  const response = await fetch(url, { headers, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (firstByte) {
    // The header row goes out before the query runs: time to the first data row (the second line).
    const reader = response.body!.getReader();
    let lines = 0;
    for (let next = await reader.read(); !next.done && lines < 2; next = await reader.read()) {
      for (const byte of next.value) if (byte === 10) lines++;
    }
    const ms = performance.now() - started;
    await reader.cancel();
    return { ms, status: response.status };
  }
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

async function measureTarget(target: Target): Promise<{ rows: Measured[]; licenses: number }> {
  const sql = postgres(target.url, { max: 2, onnotice: () => {} });
  const cleanup: (() => Promise<unknown>)[] = [];
  let server: Server | null = null;
  try {
    const [{ n: licenses } = { n: 0 }] = await sql<{ n: number }[]>`select count(*)::int as n from licenses`;
    // A staff member with a session, a customer (an owner of a team with a usable paid license) with one, a token.
    const [staff] = await sql<{ id: string }[]>`
      insert into users (id, email, name, is_staff) values (${randomUUID()}, ${STAFF_EMAIL}, 'Scale figures', true)
      on conflict (email) do update set is_staff = true returning id`;
    cleanup.push(() => sql`delete from users where id = ${staff!.id}`);
    const [customer] = await sql<{ user_id: string; team_id: string; email: string }[]>`
      select m.user_id, m.team_id, u.email from licenses l
      join team_members m on m.team_id = l.team_id and m.role = 'owner' join users u on u.id = m.user_id
      where l.state = 'active' and l.plan = 'professional' and l.expires_at > now() + interval '60 days'
      order by l.issued_at desc limit 1`;
    if (!customer) throw new Error("no customer with a usable professional license: seed with `npm run seed:scale`");
    const staffSession = randomBytes(32).toString("hex");
    const customerSession = randomBytes(32).toString("hex");
    await sql`insert into sessions (session_token, user_id, expires) values
      (${staffSession}, ${staff!.id}, now() + interval '1 day'), (${customerSession}, ${customer.user_id}, now() + interval '1 day')`;
    cleanup.push(() => sql`delete from sessions where session_token in (${staffSession}, ${customerSession})`);
    const token = `tzs_${randomBytes(32).toString("base64url")}`;
    const [tokenRow] = await sql<{ id: string }[]>`
      insert into staff_api_tokens (name, scope, token_hash, token_prefix, created_by)
      values ('scale figures', 'read', ${createHash("sha256").update(token).digest("hex")}, ${token.slice(0, 8)}, ${staff!.id})
      returning id`;
    cleanup.push(() => sql`delete from staff_api_tokens where id = ${tokenRow!.id}`);

    // Things to look for: an existing license's email, company, key suffix, id, and a team.
    const [probe] = await sql<{ id: string; email: string; company: string; suffix: string; team_id: string }[]>`
      select id, email, company, right(key_masked, 4) as suffix, team_id from licenses
      where team_id is not null and plan = 'enterprise' order by issued_at desc offset ${licenses > 10_000 ? 100 : 0} limit 1`;
    if (!probe) throw new Error("no enterprise license to probe with");
    const deepPage = Math.max(2, Math.min(10_000, Math.floor(licenses / 25 / 2)));
    const auditDeep = Math.max(2, Math.min(10_000, Math.floor((licenses * 3) / 50 / 2)));
    const emailPart = probe.email.split("@")[0]!;
    const q = encodeURIComponent;
    const probes: Probe[] = [
      { label: "staff: overview (KPIs)", path: "/staff", as: "staff" },
      { label: "staff: licenses, default sort", path: "/staff/licenses", as: "staff" },
      { label: "staff: licenses, page 2", path: "/staff/licenses?page=2", as: "staff" },
      { label: `staff: licenses, deep page ${deepPage}`, path: `/staff/licenses?page=${deepPage}`, as: "staff" },
      { label: "staff: licenses, last page", path: "/staff/licenses?page=10000", as: "staff" },
      { label: "staff: search by email", path: `/staff/licenses?q=${q(probe.email)}`, as: "staff" },
      { label: "staff: search by part of an email", path: `/staff/licenses?q=${q(emailPart)}`, as: "staff" },
      { label: "staff: search by company", path: `/staff/licenses?q=${q(probe.company)}`, as: "staff" },
      { label: "staff: search by key suffix", path: `/staff/licenses?q=${q(probe.suffix)}`, as: "staff" },
      { label: "staff: search, no match", path: "/staff/licenses?q=zz-nothing-like-this", as: "staff" },
      { label: "staff: filter plan=enterprise", path: "/staff/licenses?plan=enterprise", as: "staff" },
      { label: "staff: filter status=expired", path: "/staff/licenses?status=expired", as: "staff" },
      { label: "staff: filter status=suspended", path: "/staff/licenses?status=suspended", as: "staff" },
      { label: "staff: filter status=expiring_soon", path: "/staff/licenses?status=expiring_soon", as: "staff" },
      { label: "staff: filter unclaimed", path: "/staff/licenses?unclaimed=1", as: "staff" },
      { label: "staff: plan+status, page 50", path: "/staff/licenses?plan=starter&status=valid&page=50", as: "staff" },
      { label: "staff: license detail", path: `/staff/licenses/${probe.id}`, as: "staff" },
      { label: "staff: customers", path: "/staff/customers", as: "staff" },
      { label: "staff: customers, search", path: `/staff/customers?q=${q(probe.company)}`, as: "staff" },
      { label: "staff: customers, deep page", path: "/staff/customers?page=4000", as: "staff" },
      { label: "staff: customer detail", path: `/staff/customers/${probe.team_id}`, as: "staff" },
      { label: "staff: audit log", path: "/staff/audit", as: "staff" },
      { label: "staff: audit, action filter", path: "/staff/audit?action=license.suspended", as: "staff" },
      { label: `staff: audit, deep page ${auditDeep}`, path: `/staff/audit?page=${auditDeep}`, as: "staff" },
      { label: "staff: new license form", path: "/staff/licenses/new", as: "staff" },
      { label: "staff: webhooks", path: "/staff/webhooks", as: "staff" },
      { label: "staff: api tokens", path: "/staff/api-tokens", as: "staff" },
      { label: "export: licenses (1st row)", path: "/staff/export/licenses", as: "staff", firstByte: true },
      {
        label: "export: licenses q=email (1st row)",
        path: `/staff/export/licenses?q=${q(emailPart)}`,
        as: "staff",
        firstByte: true,
      },
      {
        label: "export: licenses plan (1st row)",
        path: "/staff/export/licenses?plan=enterprise",
        as: "staff",
        firstByte: true,
      },
      { label: "export: customers (1st row)", path: "/staff/export/customers", as: "staff", firstByte: true },
      { label: "export: payments (1st row)", path: "/staff/export/payments", as: "staff", firstByte: true },
      { label: "export: audit (1st row)", path: "/staff/export/audit", as: "staff", firstByte: true },
      { label: "api: licenses", path: "/api/staff/v1/licenses", as: "token" },
      { label: "api: licenses q=email", path: `/api/staff/v1/licenses?q=${q(probe.email)}`, as: "token" },
      { label: "api: licenses q=company", path: `/api/staff/v1/licenses?q=${q(probe.company)}`, as: "token" },
      { label: "api: licenses q=suffix", path: `/api/staff/v1/licenses?q=${q(probe.suffix)}`, as: "token" },
      { label: "api: licenses status=expired", path: "/api/staff/v1/licenses?status=expired", as: "token" },
      {
        label: "api: licenses plan, deep page",
        path: `/api/staff/v1/licenses?plan=starter&page=${Math.min(10_000, Math.floor(deepPage / 3))}`,
        as: "token",
      },
      { label: "api: license", path: `/api/staff/v1/licenses/${probe.id}`, as: "token" },
      { label: "api: activations", path: `/api/staff/v1/licenses/${probe.id}/activations`, as: "token" },
      { label: "api: usage", path: `/api/staff/v1/licenses/${probe.id}/usage`, as: "token" },
      { label: "api: audit", path: "/api/staff/v1/audit", as: "token" },
      { label: "api: audit by license", path: `/api/staff/v1/audit?licenseId=${probe.id}`, as: "token" },
      {
        label: "api: audit action, page 100",
        path: "/api/staff/v1/audit?action=activation.created&page=100",
        as: "token",
      },
      { label: "account: /admin", path: "/admin", as: "customer" },
      { label: "account: /admin/license", path: "/admin/license", as: "customer" },
      { label: "account: /admin/license/billing", path: "/admin/license/billing", as: "customer" },
      { label: "account: /admin/team", path: "/admin/team", as: "customer" },
      { label: "account: /api/license-status (session)", path: "/api/license-status", as: "customer" },
    ];

    console.log(`\n[${target.label}] ${licenses.toLocaleString("en-US")} licenses: starting the production server …`);
    server = await startServer(target);
    const headersFor = (as: Probe["as"]): Record<string, string> =>
      as === "token"
        ? { Authorization: `Bearer ${token}` }
        : { Cookie: `authjs.session-token=${as === "staff" ? staffSession : customerSession}` };
    // The overview's figures snapshot (from 100,000 licenses on): one view starts its refresh when
    // it is missing or stale; wait for it, as the job runner (off here) would have kept it fresh.
    await timed(`${server.url}/staff`, headersFor("staff"), false);
    for (let i = 0; i < 120; i++) {
      const [fresh] = await sql<{ n: number }[]>`
        select count(*)::int as n from figure_snapshots where computed_at > now() - interval '4 minutes'`.catch(() => [
        { n: 1 },
      ]);
      if (fresh!.n > 0 || licenses < 100_000) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const rows: Measured[] = [];
    const downloads: string[] = [];
    for (const p of probes) {
      if (ONLY && !ONLY.test(p.label)) continue;
      const url = `${server.url}${p.path}`;
      const headers = headersFor(p.as);
      const statuses = new Set<number>();
      const times: number[] = [];
      let runs = RUNS;
      for (let i = 0; i < runs + 2; i++) {
        const { ms, status } = await timed(url, headers, p.firstByte ?? false);
        statuses.add(status);
        if (i >= 2) times.push(ms);
        // A request slower than 2 s is timed 5 times, not RUNS, one slower than 20 s (or one that timed
        // out) once, as it was: the figure is clear and the run stays short.
        else if (ms > 20_000 || status === 0) {
          times.push(ms);
          break;
        } else if (ms > 2000) runs = Math.min(RUNS, 5);
      }
      const row = summarise(p.label, times, statuses);
      rows.push(row);
      if (p.firstByte && process.env.FULL_EXPORTS === "1") {
        // One whole download: how long the file takes, streamed.
        const started = performance.now();
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(600_000) });
        let lines = 0;
        let bytes = 0;
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.byteLength;
          for (const byte of chunk) if (byte === 10) lines++;
        }
        const seconds = (performance.now() - started) / 1000;
        downloads.push(
          `${p.label.replace(" (1st row)", "")}: ${(lines - 1).toLocaleString("en-US")} rows, ${(bytes / 1048576).toFixed(0)} MB in ${seconds.toFixed(1)} s`,
        );
      }
      process.stderr.write(`  ${p.label}: p50 ${row.p50.toFixed(0)} p95 ${row.p95.toFixed(0)} ms [${row.status}]\n`);
    }

    // The hot path: the sample of real keys, each with its activated installation.
    const sampleFile = path.join(target.dataDir, "scale-keys.json");
    if (existsSync(sampleFile) && (!ONLY || ONLY.test("license-status"))) {
      const { keys } = JSON.parse(readFileSync(sampleFile, "utf8")) as { keys: { key: string; instanceId: string }[] };
      const statuses = new Set<number>();
      const times: number[] = [];
      for (const [i, k] of [...keys.slice(0, 50), ...keys].entries()) {
        const { ms, status } = await timed(
          `${server.url}/api/license-status`,
          { Authorization: `Bearer ${k.key}`, "X-Instance-Id": k.instanceId },
          false,
        );
        statuses.add(status);
        if (i >= Math.min(50, keys.length)) times.push(ms);
      }
      const row = summarise(`GET /api/license-status (${keys.length} real keys)`, times, statuses);
      rows.push(row);
      process.stderr.write(`  ${row.label}: p50 ${row.p50.toFixed(1)} p99 ${row.p99.toFixed(1)} ms [${row.status}]\n`);
    }
    for (const line of downloads) console.log(`  [${target.label}] full export ${line}`);
    return { rows, licenses };
  } finally {
    await server?.stop();
    for (const step of cleanup.reverse()) await step().catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

const results: { target: Target; rows: Measured[]; licenses: number }[] = [];
for (const target of targets) results.push({ target, ...(await measureTarget(target)) });

const [main, compare] = results;
const fmt = (ms: number) => ms.toFixed(ms < 10 ? 1 : 0).padStart(6);
const n = (x: number) => x.toLocaleString("en-US");
console.log(
  `\nAnswer times in ms, ${RUNS} requests each after 2 warm-ups (exports: to the first data row); ` +
    `${n(main!.licenses)} licenses${compare ? ` vs ${n(compare.licenses)}` : ""}\n`,
);
const width = Math.max(...main!.rows.map((r) => r.label.length)) + 2;
console.log(
  `${"request".padEnd(width)}${"p50".padStart(6)} ${"p95".padStart(6)} ${"p99".padStart(6)} ${"max".padStart(6)}${compare ? `  ${"p95@small".padStart(9)}` : ""}  status`,
);
let over = 0;
for (const row of main!.rows) {
  const other = compare?.rows.find(
    (r) =>
      r.label.replace(/\d[\d,]* real keys|page \d+/g, "") === row.label.replace(/\d[\d,]* real keys|page \d+/g, ""),
  );
  const flagged = row.p95 > LIMIT_MS;
  if (flagged) over++;
  console.log(
    `${row.label.padEnd(width)}${fmt(row.p50)} ${fmt(row.p95)} ${fmt(row.p99)} ${fmt(row.max)}${compare ? `  ${(other ? fmt(other.p95) : "").padStart(9)}` : ""}  ${row.status}${flagged ? "  ← over 300 ms p95" : ""}`,
  );
}
console.log(over ? `\n${over} over ${LIMIT_MS} ms p95` : `\nall within ${LIMIT_MS} ms p95`);
