/**
 * The guide's "Debug Commands" for an installation, on top of lib/client.
 *
 *   npm run installation -- status   [--server URL] [--key KEY] [--data-dir DIR] [--instance-id ID] [--json]
 *   npm run installation -- validate | activate | deactivate | features [NAME]
 *
 * Exit codes: 0 valid / done, 2 license invalid or refused, 1 usage or unexpected error.
 */
import "./support/require-supported-node";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  type ClientLicenseStatus,
  createLicenseClient,
  FEATURE_NAMES,
  LicenseError,
  normaliseFeature,
} from "../lib/client/index";

const USAGE = `TicketZero installation CLI

Usage: npm run installation -- <command> [options]

Commands:
  status              Full license status (server, or offline from the cache)
  validate            Validate the license (exit 0 when valid)
  activate            Activate this installation
  deactivate          Free this installation's activation slot
  features [NAME]     List features, or check one (exit 0 when granted)
  limits              Usage limits

Options:
  --server URL        License server (env TZ_SERVER_URL, default http://localhost:3000)
  --key KEY           License key (env TZ_LICENSE_KEY)
  --data-dir DIR      Where instance-id and license.json live (default ./.tz-installation)
  --jwks FILE         Trust these signing keys (a JWKS file, e.g. saved from GET /api/public-key over a
                      channel you trust; env TZ_JWKS_FILE). Default: the keys shipped in lib/client/vendor-keys.ts
  --trust-on-first-use  Development only: trust the keys the server publishes at first contact
                      (env TZ_TRUST_ON_FIRST_USE=1); refused when NODE_ENV=production
                      (the cache key may also mix in env TZ_CACHE_SECRET, e.g. from an OS keyring)
  --instance-id ID    Use this instance id instead of the stored/generated one
  --name NAME         Instance name sent at activation
  --grace-days N      Offline grace period (default 7)
  --json              Machine-readable output
  -h, --help          This help
`;

const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_INVALID = 2;

function bar(used: number, max: number, width = 24): string {
  if (max <= 0) return `[${"-".repeat(width)}]`;
  const ratio = Math.max(0, Math.min(1, used / max));
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

function pct(used: number, max: number): string {
  return max > 0 ? `${Math.round((used / max) * 100)}%` : "n/a";
}

function date(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC");
}

function renderStatus(s: ClientLicenseStatus, server: string, instanceId: string): string {
  const lines: string[] = [];
  const mode = s.offline
    ? s.certificate
      ? "OFFLINE (server unreachable; answered from the cached certificate)"
      : "OFFLINE (server unreachable)"
    : "online";
  lines.push(`TicketZero license status — ${mode}`);
  lines.push(`  Server:       ${server}`);
  lines.push(
    `  Instance:     ${instanceId}${s.activation ? ` (activated ${date(s.activation.activatedAt)})` : " (not activated)"}`,
  );
  lines.push(`  Result:       ${s.valid ? "VALID" : "INVALID"} — ${s.code} [${s.status}]`);
  lines.push(`  Message:      ${s.message}`);
  if (s.license) {
    lines.push(`  License:      ${s.license.key || "(key not cached)"}  ${s.license.planName} (${s.license.plan})`);
    lines.push(`  Issued:       ${date(s.license.issuedAt)}`);
    lines.push(`  Expires:      ${date(s.license.expiresAt)}  (${s.license.daysRemaining} days left)`);
  }
  if (s.offline) {
    lines.push(`  Last contact: ${date(s.lastServerContact)}`);
    lines.push(`  Offline to:   ${date(s.offlineValidUntil)}`);
  }
  if (s.limits) {
    const u = s.usage;
    lines.push(`  Usage${u ? ` (${u.period}${s.offline ? ", as of last contact" : ""})` : ""}:`);
    const row = (label: string, used: number | undefined, max: number) =>
      used === undefined
        ? `    ${label.padEnd(12)} limit ${max}`
        : `    ${label.padEnd(12)} ${bar(used, max)} ${String(used).padStart(6)} / ${String(max).padEnd(6)} ${pct(used, max)}`;
    lines.push(row("Tickets", u?.ticketsThisMonth, s.limits.maxTicketsPerMonth));
    lines.push(row("Clients", u?.clients, s.limits.maxClients));
    lines.push(row("Activations", u?.activations, s.limits.maxActivations));
  }
  if (s.slots) {
    const held = s.slots.held ? `, ${s.slots.held} held by deactivated installations` : "";
    const next =
      s.slots.nextFreesAt && s.slots.used >= s.slots.max ? `; next frees by ${date(s.slots.nextFreesAt)}` : "";
    lines.push(
      `  Slots:        ${s.slots.used} of ${s.slots.max} taken${held}; ${s.slots.swapsLeft} of ${s.slots.swapsPer30Days} swaps left this 30 days${next}`,
    );
  }
  if (s.replacement) {
    lines.push(
      `  Replaced by:  ${s.replacement.key} (${s.replacement.planName}); this key works until ${date(s.replacement.graceEndsAt)}`,
    );
  }
  if (s.features.length > 0) {
    lines.push(`  Features (${s.features.length}):`);
    for (const f of s.features) lines.push(`    + ${f.name} (${f.key})`);
  }
  if (s.warnings.length > 0) {
    lines.push("  Warnings:");
    for (const w of s.warnings) lines.push(`    ! ${w.code}: ${w.message}`);
  }
  if (s.upgrade) lines.push(`  Upgrade:      ${s.upgrade.plan} — ${s.upgrade.reason}`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? EXIT_OK : EXIT_ERROR;
  }
  const server = values.server ?? process.env.TZ_SERVER_URL ?? "http://localhost:3000";
  const key = values.key ?? process.env.TZ_LICENSE_KEY;
  if (!key) {
    console.error("A license key is required: --key KEY or TZ_LICENSE_KEY");
    return EXIT_ERROR;
  }
  const graceDays = values["grace-days"] !== undefined ? Number(values["grace-days"]) : undefined;
  if (graceDays !== undefined && !(graceDays >= 0)) {
    console.error("--grace-days must be a non-negative number");
    return EXIT_ERROR;
  }
  const jwksFile = values.jwks ?? process.env.TZ_JWKS_FILE;
  let jwks: unknown;
  if (jwksFile) {
    try {
      jwks = JSON.parse(readFileSync(jwksFile, "utf8"));
    } catch (err) {
      console.error(`--jwks ${jwksFile}: ${(err as Error).message}`);
      return EXIT_ERROR;
    }
  }
  const envTofu = process.env.TZ_TRUST_ON_FIRST_USE;
  const trustOnFirstUse = values["trust-on-first-use"] === true || envTofu === "1" || envTofu === "true";
  const licenseKey: string = key;
  let client: ReturnType<typeof createLicenseClient>;
  try {
    client = makeClient();
  } catch (err) {
    if (err instanceof TypeError) {
      console.error(`${err.message}\n(use --jwks FILE, or --trust-on-first-use for development)`);
      return EXIT_ERROR;
    }
    throw err;
  }
  function makeClient() {
    return createLicenseClient({
      ...(jwks !== undefined ? { jwks: jwks as { keys: Array<Record<string, unknown>> } } : {}),
      ...(trustOnFirstUse ? { trustOnFirstUse } : {}),
      ...(process.env.TZ_CACHE_SECRET ? { cacheSecret: process.env.TZ_CACHE_SECRET } : {}),
      serverUrl: server,
      licenseKey,
      dataDir: values["data-dir"] ?? "./.tz-installation",
      instanceId: values["instance-id"],
      instanceName: values.name,
      graceDays,
      maxRetries: 2,
      timeoutMs: 8_000,
    });
  }
  const json = values.json === true;
  const out = (data: unknown, text: string) => console.log(json ? JSON.stringify(data, null, 2) : text);

  switch (command) {
    case "status": {
      const s = await client.getLicenseStatus();
      out({ instanceId: client.instanceId, ...s }, renderStatus(s, server, client.instanceId));
      return s.valid ? EXIT_OK : EXIT_INVALID;
    }
    case "validate": {
      const r = await client.validateLicense();
      out(r, `${r.valid ? "VALID" : "INVALID"} (${r.code}): ${r.message}`);
      return r.valid ? EXIT_OK : EXIT_INVALID;
    }
    case "limits": {
      const r = await client.validateLicense();
      const limits = await client.getUsageLimits();
      out(
        { valid: r.valid, code: r.code, limits },
        `Max clients:            ${limits.maxClients}\nMax tickets per month:  ${limits.maxTicketsPerMonth}\nMax activations:        ${limits.maxActivations}${r.valid ? "" : `\n(license not valid: ${r.code})`}`,
      );
      return r.valid ? EXIT_OK : EXIT_INVALID;
    }
    case "activate": {
      const r = await client.activate();
      const v = await client.validateLicense();
      out(
        { instanceId: client.instanceId, activation: r.activation, validation: v },
        `Activated instance ${client.instanceId}${r.activation ? ` at ${date(r.activation.activatedAt)}` : ""}\n${v.valid ? "VALID" : "INVALID"} (${v.code}): ${v.message}`,
      );
      return v.valid ? EXIT_OK : EXIT_INVALID;
    }
    case "deactivate": {
      const body = await client.deactivate();
      out({ instanceId: client.instanceId, result: body }, `Deactivated instance ${client.instanceId}`);
      return EXIT_OK;
    }
    case "features": {
      const s = await client.getLicenseStatus();
      const wanted = positionals[1];
      if (wanted) {
        const granted = await client.checkFeatureAccess(wanted);
        out(
          { feature: wanted, granted, valid: s.valid, code: s.code },
          `${wanted}: ${granted ? "granted" : "not granted"}${s.valid ? "" : ` (license not valid: ${s.code})`}`,
        );
        return granted ? EXIT_OK : EXIT_INVALID;
      }
      const have = new Set(s.valid ? s.features.map((f) => normaliseFeature(f.key)) : []);
      const catalog = Object.entries(FEATURE_NAMES).map(([k, name]) => ({ key: k, name, granted: have.has(k) }));
      for (const f of s.features) {
        if (!FEATURE_NAMES[f.key]) catalog.push({ key: f.key, name: f.name, granted: s.valid });
      }
      const text = [
        `Features for ${s.license?.planName ?? "this license"}${s.offline ? " (offline)" : ""}${s.valid ? "" : ` — license not valid: ${s.code}`}:`,
        ...catalog.map((f) => `  [${f.granted ? "x" : " "}] ${f.name.padEnd(24)} ${f.key}`),
      ].join("\n");
      out({ valid: s.valid, code: s.code, features: catalog }, text);
      return s.valid ? EXIT_OK : EXIT_INVALID;
    }
    default:
      console.error(`Unknown command: ${command}\n\n${USAGE}`);
      return EXIT_ERROR;
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      key: { type: "string" },
      "data-dir": { type: "string" },
      "instance-id": { type: "string" },
      name: { type: "string" },
      "grace-days": { type: "string" },
      jwks: { type: "string" },
      "trust-on-first-use": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof LicenseError) {
      const wantsJson = process.argv.includes("--json");
      if (wantsJson) console.log(JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2));
      else console.error(`Error (${err.code}): ${err.message}`);
      process.exitCode = err.code === "SERVER_UNREACHABLE" ? EXIT_ERROR : EXIT_INVALID;
      return;
    }
    console.error(`Error: ${(err as Error)?.message ?? String(err)}`);
    process.exitCode = EXIT_ERROR;
  },
);
