#!/usr/bin/env node
/**
 * `tz-license`: the guide's "Debug Commands" for an installation, and air-gapped activation
 * (docs/AIR-GAPPED.md "CLI"). A thin layer over the client: every decision is the client's.
 *
 *   tz-license status | validate | activate | deactivate | features [NAME] | limits
 *   tz-license offline-request [--out FILE] | offline-import FILE | offline-deactivate
 *
 * In this repository: `npm run installation -- <command> [options]`.
 */
import { readFileSync } from "node:fs";
import { getSystemErrorMessage, parseArgs } from "node:util";
import { createLicenseClient, type LicenseClient } from "./client.js";
import { CLIENT_CODES, LicenseError } from "./errors.js";
import { FEATURE_NAMES, normaliseFeature } from "./features.js";
import type { ClientLicenseStatus, JsonWebKeySet } from "./types.js";
import { CLIENT_VERSION } from "./version.js";

const USAGE = `tz-license ${CLIENT_VERSION}: TicketZero installation license CLI

Usage: tz-license <command> [options]

Commands:
  status                Full license status (server, offline cache, or license file)
  validate              Validate the license (exit 0 when valid)
  activate              Activate this installation
  deactivate            Free this installation's activation slot
  features [NAME]       List features, or check one (exit 0 when granted)
  limits                Usage limits
  offline-request       Air-gapped: write an activation request file (--out FILE, default
                        ./tz-activation-request.json; --out - prints it) to upload in the portal
  offline-import FILE   Air-gapped: import the license file the portal issued
  offline-deactivate    Air-gapped: delete the license file and print the deactivation code

Options:
  --server URL          License server (env TZ_SERVER_URL); none: air-gapped
  --key KEY             License key (env TZ_LICENSE_KEY)
  --data-dir DIR        Where instance-id, instance-key.pem and license.json live
                        (env TZ_DATA_DIR, default ./.tz-installation)
  --instance-id ID      Use this instance id instead of the stored/generated one
  --name NAME           Instance name sent at activation and in requests (default: host name)
  --grace-days N        Offline grace period (default 7)
  --jwks FILE           Trust these signing keys (a JWKS file, e.g. saved from GET /api/public-key
                        over a channel you trust; env TZ_JWKS_FILE). Default: the shipped vendor keys
  --trust-on-first-use  Development only: trust the keys the server publishes at first contact
                        (env TZ_TRUST_ON_FIRST_USE=1); refused when NODE_ENV=production
  --json                Machine-readable output
  -h, --help            This help
  (env TZ_CACHE_SECRET: an extra secret mixed into the cache key, e.g. from an OS keyring)

Exit codes: 0 valid / done; 1 not valid for this installation, or refused; 2 usage error;
3 the server could not be reached and no valid offline answer was available.
`;

/** docs/AIR-GAPPED.md "CLI and exit codes". */
const EXIT = { ok: 0, invalid: 1, usage: 2, unreachable: 3 } as const;

/** A usage error: unknown command or option, missing key, unreadable file (exit 2). */
class UsageError extends Error {}

const DEFAULT_REQUEST_FILE = "tz-activation-request.json";

/** "no such file or directory" rather than the raw ENOENT message (which names a temporary file). */
function systemReason(err: unknown): string {
  const errno = (err as NodeJS.ErrnoException)?.errno;
  if (typeof errno === "number") {
    try {
      return getSystemErrorMessage(errno);
    } catch {
      // not a system error number
    }
  }
  return (err as Error)?.message ?? String(err);
}

/** Exit code of an answer: unreachable only when nothing valid could be said offline. */
function exitOf(s: ClientLicenseStatus): number {
  if (s.valid) return EXIT.ok;
  return s.offline && !s.airGapped ? EXIT.unreachable : EXIT.invalid;
}

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

function renderStatus(s: ClientLicenseStatus, server: string | undefined, instanceId: string): string {
  const lines: string[] = [];
  const mode = s.airGapped
    ? "AIR-GAPPED (answered from the imported license file)"
    : s.offline
      ? s.certificate
        ? "OFFLINE (server unreachable; answered from the cached certificate)"
        : "OFFLINE (server unreachable)"
      : "online";
  lines.push(`TicketZero license status — ${mode}`);
  lines.push(`  Server:       ${server ?? "(none configured)"}`);
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
    if (!s.airGapped) lines.push(`  Last contact: ${date(s.lastServerContact)}`);
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

function parseOptions(argv: string[]) {
  try {
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
        out: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

type Options = ReturnType<typeof parseOptions>["values"];

function readJwks(file: string): JsonWebKeySet {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as JsonWebKeySet;
  } catch (err) {
    throw new UsageError(`--jwks ${file}: ${(err as Error).message}`);
  }
}

function makeClient(values: Options, env: NodeJS.ProcessEnv): LicenseClient {
  const licenseKey = values.key ?? env.TZ_LICENSE_KEY;
  if (!licenseKey) throw new UsageError("A license key is required: --key KEY or TZ_LICENSE_KEY");
  const graceDays = values["grace-days"] === undefined ? undefined : Number(values["grace-days"]);
  if (graceDays !== undefined && !(graceDays >= 0)) throw new UsageError("--grace-days must be a non-negative number");
  const jwksFile = values.jwks ?? env.TZ_JWKS_FILE;
  const envTofu = env.TZ_TRUST_ON_FIRST_USE;
  const trustOnFirstUse = values["trust-on-first-use"] === true || envTofu === "1" || envTofu === "true";
  const serverUrl = values.server ?? env.TZ_SERVER_URL;
  try {
    return createLicenseClient({
      ...(serverUrl ? { serverUrl } : {}),
      ...(jwksFile ? { jwks: readJwks(jwksFile) } : {}),
      ...(trustOnFirstUse ? { trustOnFirstUse } : {}),
      ...(env.TZ_CACHE_SECRET ? { cacheSecret: env.TZ_CACHE_SECRET } : {}),
      licenseKey,
      dataDir: values["data-dir"] ?? env.TZ_DATA_DIR ?? "./.tz-installation",
      ...(values["instance-id"] !== undefined ? { instanceId: values["instance-id"] } : {}),
      ...(values.name !== undefined ? { instanceName: values.name } : {}),
      ...(graceDays !== undefined ? { graceDays } : {}),
      maxRetries: 2,
      timeoutMs: 8_000,
    });
  } catch (err) {
    // Bad options or no trust anchor: the invocation is wrong, not the license.
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${(err as Error).message}\n(use --jwks FILE, or --trust-on-first-use for development)`);
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseOptions(argv);
  const command = positionals[0];
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (!command) throw new UsageError("A command is required");
  const known = [
    "status",
    "validate",
    "activate",
    "deactivate",
    "features",
    "limits",
    "offline-request",
    "offline-import",
    "offline-deactivate",
  ];
  if (!known.includes(command)) throw new UsageError(`Unknown command: ${command}`);
  const maxPositionals = command === "features" || command === "offline-import" ? 2 : 1;
  if (positionals.length > maxPositionals) throw new UsageError(`Unexpected argument: ${positionals[maxPositionals]}`);
  // Read before anything changes: an unreadable file is a usage error.
  let licenseFileText: string | null = null;
  if (command === "offline-import") {
    const file = positionals[1];
    if (!file) throw new UsageError("offline-import needs the license file: tz-license offline-import FILE");
    try {
      licenseFileText = readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(`Cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const client = makeClient(values, env);
  const server = values.server ?? env.TZ_SERVER_URL;
  const json = values.json === true;
  const out = (data: unknown, text: string) => console.log(json ? JSON.stringify(data, null, 2) : text);

  switch (command) {
    case "status": {
      const s = await client.getLicenseStatus();
      out({ instanceId: client.instanceId, ...s }, renderStatus(s, server, client.instanceId));
      return exitOf(s);
    }
    case "validate": {
      const s = await client.getLicenseStatus();
      out(
        { valid: s.valid, code: s.code, message: s.message },
        `${s.valid ? "VALID" : "INVALID"} (${s.code}): ${s.message}`,
      );
      return exitOf(s);
    }
    case "limits": {
      const s = await client.getLicenseStatus();
      const limits = await client.getUsageLimits();
      out(
        { valid: s.valid, code: s.code, limits },
        `Max clients:            ${limits.maxClients}\nMax tickets per month:  ${limits.maxTicketsPerMonth}\nMax activations:        ${limits.maxActivations}${s.valid ? "" : `\n(license not valid: ${s.code})`}`,
      );
      return exitOf(s);
    }
    case "activate": {
      const r = await client.activate();
      const s = await client.getLicenseStatus();
      out(
        {
          instanceId: client.instanceId,
          activation: r.activation,
          validation: { valid: s.valid, code: s.code, message: s.message },
        },
        `Activated instance ${client.instanceId}${r.activation ? ` at ${date(r.activation.activatedAt)}` : ""}\n${s.valid ? "VALID" : "INVALID"} (${s.code}): ${s.message}`,
      );
      return exitOf(s);
    }
    case "deactivate": {
      const body = await client.deactivate();
      out({ instanceId: client.instanceId, result: body }, `Deactivated instance ${client.instanceId}`);
      return EXIT.ok;
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
        return granted ? EXIT.ok : s.valid ? EXIT.invalid : exitOf(s);
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
      return exitOf(s);
    }
    case "offline-request": {
      const target = values.out ?? DEFAULT_REQUEST_FILE;
      let written: Awaited<ReturnType<typeof client.writeActivationRequest>>;
      try {
        written = await client.writeActivationRequest(target === "-" ? undefined : target);
      } catch (err) {
        if (err instanceof LicenseError) throw err;
        // The file could not be written (a missing directory, no permission): nothing changed.
        console.error(
          `Cannot write the activation request ${target}: ${systemReason(err)}\nNothing was changed; choose another --out FILE.`,
        );
        return EXIT.usage;
      }
      if (target === "-") {
        process.stdout.write(written.content);
      } else {
        out(
          { path: written.path, request: written.request },
          `Wrote the activation request ${written.path} for instance ${client.instanceId} (${written.request.keyPrefix}).\nUpload it in the Admin Panel → License & Billing, then run: tz-license offline-import <license file>`,
        );
      }
      return EXIT.ok;
    }
    case "offline-import": {
      const s = await client.importLicenseFile(licenseFileText as string);
      out({ instanceId: client.instanceId, ...s }, renderStatus(s, server, client.instanceId));
      return exitOf(s);
    }
    case "offline-deactivate": {
      const d = await client.deactivateOffline();
      out(
        d,
        json
          ? ""
          : `The license file is deleted. Enter this deactivation code in the Admin Panel → License & Billing to free the slot:\n\n${d.code}\n`,
      );
      return EXIT.ok;
    }
  }
  throw new UsageError(`Unknown command: ${command}`);
}

/** Runs the CLI; resolves to the exit code (docs/AIR-GAPPED.md). */
async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const wantsJson = argv.includes("--json");
  try {
    return await run(argv, env);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof LicenseError) {
      if (wantsJson) console.log(JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2));
      else console.error(`Error (${err.code}): ${err.message}`);
      return err.code === CLIENT_CODES.SERVER_UNREACHABLE ? EXIT.unreachable : EXIT.invalid;
    }
    console.error(`Error: ${(err as Error)?.message ?? String(err)}`);
    return EXIT.invalid;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
