/**
 * The guide's debug commands, for staff and operators:
 *
 *   npm run license -- status --key K [--instance ID]
 *   npm run license -- validate --key K
 *   npm run license -- issue --plan professional --email E [--company C] [--days N]
 *                            [--max-clients N] [--max-tickets N] [--max-activations N] [--features a,b]
 *   npm run license -- trial --email E
 *   npm run license -- revoke|suspend --key K [--reason R]
 *   npm run license -- reinstate --key K
 *   npm run license -- extend --key K --days N
 *   npm run license -- list [--limit N]
 *   npm run license -- installations --key K
 *   npm run license -- deactivate --key K --instance ID
 *   npm run license -- release-slot --key K --instance ID --reason R
 *   npm run license -- remind
 *   npm run license -- api-token-create --name N --scope read|write --email STAFF_EMAIL
 *   npm run license -- api-tokens
 *   npm run license -- api-token-revoke --id ID
 *   npm run license -- secrets
 *
 * Every command takes --json. Exit codes: 0 ok, 1 license invalid or refused, 2 usage error.
 * It works beside a running app on the embedded default: bootstrapDatabase() finds the
 * app's embedded server (or starts one) and the CLI lets go of it when done.
 */
import "./support/require-supported-node";
import "./support/cli-environment";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { closeDb, isDatabaseUnavailable } from "@ticketzero/core/db/client";
import { deactivateInstallation, releaseHeldSlot } from "@ticketzero/core/license/activations";
import { extendById } from "@ticketzero/core/license/backoffice";
import { LicenseError } from "@ticketzero/core/license/errors";
import { maskKey, parseKey } from "@ticketzero/core/license/keys";
import { statusByKey, statusOfLicense } from "@ticketzero/core/license/license-status";
import {
  findByKey,
  type LicenseRow,
  listLicenses,
  reinstateLicense,
  revokeLicense,
  suspendLicense,
} from "@ticketzero/core/license/licenses";
import { deactivateWithCode, issueLicenseFile } from "@ticketzero/core/license/offline";
import { FEATURES, PLAN_IDS, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { sendDueReminders } from "@ticketzero/core/license/reminders";
import {
  createStaffToken,
  listStaffTokens,
  revokeStaffToken,
  staffUserByEmail,
} from "@ticketzero/core/license/staff-tokens";
import { issueForEmail } from "@ticketzero/core/license/teams";
import { startTrial } from "@ticketzero/core/license/trial";
import type { LicenseStatusBody, SlotSummary } from "@ticketzero/core/license/types";
import { bootstrapDatabase, type Database } from "@ticketzero/core/server/bootstrap";
import { generateStoredSecrets } from "@ticketzero/core/server/secrets";

const USAGE = `Usage: npm run license -- <command> [options]

Commands:
  status    --key K [--instance ID]     the status an installation sees (exit 1 when not valid)
  validate  --key K                     VALID or the reason it is not (exit 1 when not valid)
  issue     --plan P --email E          issue a license and print its key
            [--company C] [--days N] [--max-clients N] [--max-tickets N]
            [--max-activations N] [--features key1,key2]
  trial     --email E                   start the one trial an email may have
  revoke    --key K [--reason R]        revoke for good
  suspend   --key K [--reason R]        suspend until reinstated
  reinstate --key K                     lift a suspension (or a revocation)
  extend    --key K --days N            move expiry N days past the later of now and the current expiry
  list      [--limit N]                 the newest licenses, keys masked
  installations --key K                 active installations and held slots, swaps left
  deactivate --key K --instance ID      deactivate an installation (frees its slot now by a swap,
                                        or when its certificate expires)
  release-slot --key K --instance ID --reason R
                                        staff override: free a held slot now (audited)
  license-file --key K --request FILE [--out FILE]
                                        air-gapped: answer an installation's activation request
                                        file for license K with its license file (docs/AIR-GAPPED.md)
  deactivate-code --code CODE           air-gapped: free the slot of the installation that printed CODE
  remind                                send the expiry, trial and usage reminder mails due now
  api-token-create --name N --scope read|write --email STAFF_EMAIL
                                        a staff API token for STAFF_EMAIL's authority (shown once)
  api-tokens                            the staff API tokens, with their last use
  api-token-revoke --id ID              revoke a staff API token at once
  secrets                               fresh production secrets as environment lines

Options: --json (machine-readable output), --help
Plans: ${PLAN_IDS.join(", ")}
Exit codes: 0 ok, 1 license invalid or refused, 2 usage error, 3 database unreachable`;

class UsageError extends Error {}

// Library log lines (such as "[mail] to …") go to stderr, so stdout stays the command's output (and valid --json).
console.info = (...args: unknown[]) => console.error(...args);

const DAY_MS = 86_400_000;

const OPTIONS = {
  key: { type: "string" },
  instance: { type: "string" },
  plan: { type: "string" },
  email: { type: "string" },
  company: { type: "string" },
  days: { type: "string" },
  "max-clients": { type: "string" },
  "max-tickets": { type: "string" },
  "max-activations": { type: "string" },
  features: { type: "string" },
  reason: { type: "string" },
  limit: { type: "string" },
  request: { type: "string" },
  out: { type: "string" },
  code: { type: "string" },
  name: { type: "string" },
  scope: { type: "string" },
  id: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = {
  key?: string;
  instance?: string;
  plan?: string;
  email?: string;
  company?: string;
  days?: string;
  "max-clients"?: string;
  "max-tickets"?: string;
  "max-activations"?: string;
  features?: string;
  reason?: string;
  limit?: string;
  request?: string;
  out?: string;
  code?: string;
  name?: string;
  scope?: string;
  id?: string;
  json: boolean;
  help: boolean;
};

// ---- output ----

/** Two aligned columns. */
function pairs(rows: [string, string | number | null | undefined][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value ?? "-"}`).join("\n");
}

/** A table with a header row and a rule. */
function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const day = (iso: string | Date) => (typeof iso === "string" ? iso : iso.toISOString()).slice(0, 10);

function statusText(body: LicenseStatusBody): string {
  const parts: string[] = [];
  const rows: [string, string | number | null][] = [
    ["Status", `${body.status} (${body.code})`],
    ["Message", body.message],
  ];
  if (body.license) {
    rows.push(
      ["Key", body.license.key],
      ["Plan", body.license.planName],
      ["Issued", day(body.license.issuedAt)],
      ["Expires", day(body.license.expiresAt)],
      ["Days remaining", body.license.daysRemaining],
    );
  }
  if (body.limits && body.usage) {
    rows.push(
      ["Tickets", `${body.usage.ticketsThisMonth} / ${body.limits.maxTicketsPerMonth} (${body.usage.period})`],
      ["Clients", `${body.usage.clients} / ${body.limits.maxClients}`],
      ["Activations", `${body.usage.activations} / ${body.limits.maxActivations}`],
    );
  }
  if (body.slots) rows.push(["Slots", slotsLine(body.slots)]);
  if (body.replacement) {
    rows.push([
      "Replaced by",
      `${body.replacement.key} (${body.replacement.planName}); this key works until ${day(body.replacement.graceEndsAt)}`,
    ]);
  }
  if (body.activation)
    rows.push(["This installation", `${body.activation.instanceId}, since ${day(body.activation.activatedAt)}`]);
  rows.push(["Features", body.features.map((f) => f.name).join(", ") || "-"]);
  parts.push(pairs(rows));
  if (body.warnings.length)
    parts.push(`Warnings:\n${body.warnings.map((w) => `  ! ${w.message} (${w.code})`).join("\n")}`);
  if (body.upgrade) parts.push(`Upgrade: ${PLANS[body.upgrade.plan].name}: ${body.upgrade.reason}`);
  return parts.join("\n\n");
}

function slotsLine(slots: SlotSummary): string {
  const held = slots.held ? `, ${slots.held} held by deactivated installations` : "";
  const next = slots.nextFreesAt && slots.used >= slots.max ? `; next frees by ${slots.nextFreesAt}` : "";
  return `${slots.used} of ${slots.max} taken${held}; ${slots.swapsLeft} of ${slots.swapsPer30Days} swaps left this 30 days${next}`;
}

function licenseSummary(row: LicenseRow) {
  return {
    id: row.id,
    key: row.keyMasked,
    plan: row.plan,
    state: row.state,
    email: row.email,
    company: row.company,
    issuedAt: row.issuedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    limits: {
      maxClients: row.maxClients,
      maxTicketsPerMonth: row.maxTicketsPerMonth,
      maxActivations: row.maxActivations,
    },
  };
}

// ---- argument helpers ----

function need(
  values: Values,
  name: "key" | "email" | "plan" | "days" | "instance" | "reason" | "request" | "code" | "name" | "scope" | "id",
): string {
  const value = values[name];
  if (value === undefined || value.trim() === "") throw new UsageError(`--${name} is required`);
  return value;
}

function wholeNumber(values: Values, name: keyof Values, min = 0): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number${min ? ` of at least ${min}` : ""}, got "${String(raw)}"`);
  }
  return n;
}

/** A key checked for its format before any database work (a usage error, not a refusal). */
function keyOption(values: Values): string {
  const raw = need(values, "key");
  if (!parseKey(raw))
    throw new LicenseError("INVALID_FORMAT", "That is not a TicketZero license key (TZ-PRO-XXXX-XXXX-XXXX-XXXX).");
  return raw;
}

// ---- commands ----

type Output = { json: unknown; text: string; code?: number };
const CTX = { actor: "cli" };

async function run(command: string, values: Values): Promise<Output> {
  switch (command) {
    case "status":
    case "validate": {
      const key = keyOption(values);
      const body = await statusByKey(key, values.instance ?? null);
      const code = body.valid ? 0 : 1;
      if (command === "validate") {
        return {
          json: { valid: body.valid, code: body.code, status: body.status, message: body.message },
          text: body.valid ? `VALID: ${body.message}` : `NOT VALID (${body.code}): ${body.message}`,
          code,
        };
      }
      return { json: body, text: statusText(body), code };
    }
    case "issue": {
      const plan = need(values, "plan") as PlanId;
      if (!PLAN_IDS.includes(plan)) throw new UsageError(`--plan must be one of ${PLAN_IDS.join(", ")}`);
      const email = need(values, "email");
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()))
        throw new UsageError(`--email "${email}" is not an email address`);
      const days = wholeNumber(values, "days", 1);
      const limits = {
        ...(values["max-clients"] !== undefined ? { maxClients: wholeNumber(values, "max-clients", 1) } : {}),
        ...(values["max-tickets"] !== undefined ? { maxTicketsPerMonth: wholeNumber(values, "max-tickets", 1) } : {}),
        ...(values["max-activations"] !== undefined
          ? { maxActivations: wholeNumber(values, "max-activations", 1) }
          : {}),
      };
      let features: string[] | undefined;
      if (values.features !== undefined) {
        features = values.features
          .split(",")
          .map((f) => f.trim())
          .filter(Boolean);
        const unknown = features.filter((f) => !(f in FEATURES));
        if (unknown.length)
          throw new UsageError(`unknown feature(s): ${unknown.join(", ")}; known: ${Object.keys(FEATURES).join(", ")}`);
      }
      // Licenses follow their email: onto its owner's team, and the key is mailed with a sign-in link.
      const { license, key } = await issueForEmail(
        {
          plan,
          email,
          company: values.company ?? null,
          limits,
          features,
          expiresAt: days ? new Date(Date.now() + days * DAY_MS) : undefined,
        },
        CTX,
      );
      return {
        json: { licenseKey: key, license: licenseSummary(license) },
        text: `${key}\n\n${pairs([
          ["Plan", PLANS[plan].name],
          ["Email", license.email],
          ["Company", license.company],
          ["Expires", day(license.expiresAt)],
          [
            "Limits",
            `${license.maxClients} clients, ${license.maxTicketsPerMonth} tickets/month, ${license.maxActivations} activations`,
          ],
        ])}`,
      };
    }
    case "trial": {
      const email = need(values, "email");
      const { license, key } = await startTrial(email, CTX);
      return {
        json: { licenseKey: key, license: licenseSummary(license) },
        text: `${key}\n\nTrial for ${license.email}, expires ${day(license.expiresAt)}.`,
      };
    }
    case "revoke":
    case "suspend":
    case "reinstate": {
      const key = keyOption(values);
      const row =
        command === "revoke"
          ? await revokeLicense(key, CTX, values.reason)
          : command === "suspend"
            ? await suspendLicense(key, CTX, values.reason)
            : await reinstateLicense(key, CTX);
      return { json: { license: licenseSummary(row) }, text: `${row.keyMasked} is now ${row.state}.` };
    }
    case "extend": {
      const key = keyOption(values);
      const days = wholeNumber(values, "days", 1);
      if (days === undefined) throw new UsageError("--days is required");
      const row = await findByKey(key);
      // The back office's extension: locked, changed and audited in one transaction.
      const updated = await extendById(row.id, days, CTX);
      return {
        json: { license: licenseSummary(updated) },
        text: `${updated.keyMasked} now expires ${day(updated.expiresAt)} (was ${day(row.expiresAt)}).`,
      };
    }
    case "list": {
      const limit = wholeNumber(values, "limit", 1) ?? 50;
      const rows = await listLicenses(undefined, limit);
      const withStatus = await Promise.all(rows.map(async (row) => ({ row, ...(await statusOfLicense(row)) })));
      return {
        json: {
          licenses: withStatus.map(({ row, status, installations }) => ({
            ...licenseSummary(row),
            status: status.status,
            code: status.code,
            activations: installations.length,
          })),
        },
        text: rows.length
          ? table(
              ["KEY", "PLAN", "STATUS", "EMAIL", "EXPIRES", "ACTIVATIONS"],
              withStatus.map(({ row, status, installations }) => [
                row.keyMasked,
                PLANS[row.plan as PlanId]?.name ?? row.plan,
                status.code === "VALID" ? status.status : `${status.status} (${status.code})`,
                row.email,
                day(row.expiresAt),
                `${installations.length}/${row.maxActivations}`,
              ]),
            )
          : "No licenses.",
      };
    }
    case "installations": {
      const row = await findByKey(keyOption(values));
      const { status, installations } = await statusOfLicense(row);
      const now = Date.now();
      const list = installations.map((i) => ({
        instanceId: i.instanceId,
        instanceName: i.instanceName,
        state: i.deactivatedAt ? "held" : "active",
        activatedAt: i.activatedAt.toISOString(),
        lastSeenAt: i.lastSeenAt.toISOString(),
        clients: i.clients,
        slotFreesAt: i.deactivatedAt ? (i.slotFreesAt?.toISOString() ?? null) : null,
      }));
      return {
        json: { slots: status.slots, installations: list },
        text: [
          `Slots: ${status.slots ? slotsLine(status.slots) : "-"}`,
          list.length
            ? table(
                ["INSTANCE", "NAME", "STATE", "LAST CHECK-IN", "CLIENTS", "SLOT FREES"],
                list.map((i) => [
                  i.instanceId,
                  i.instanceName ?? "-",
                  i.state,
                  `${Math.round((now - Date.parse(i.lastSeenAt)) / 60_000)} min ago`,
                  String(i.clients),
                  i.slotFreesAt ?? "-",
                ]),
              )
            : "No installations.",
        ].join("\n\n"),
      };
    }
    case "deactivate": {
      const key = keyOption(values);
      const instanceId = need(values, "instance");
      const result = await deactivateInstallation({ licenseKey: key }, instanceId, CTX, "cli");
      return {
        json: { ...result, slotFreesAt: result.slotFreesAt.toISOString() },
        text: result.alreadyDeactivated
          ? `${instanceId} was already deactivated; its slot frees ${result.slotFreesAt.toISOString()}.`
          : result.swapUsed || result.slotFreesAt.getTime() <= Date.now()
            ? `${instanceId} deactivated; its slot is free now (${result.slots.swapsLeft} swaps left this 30 days).`
            : `${instanceId} deactivated; no swaps left, so its slot frees when its certificate expires, ${result.slotFreesAt.toISOString()}.`,
      };
    }
    case "release-slot": {
      const row = await findByKey(keyOption(values));
      const instanceId = need(values, "instance");
      const reason = need(values, "reason");
      const slots = await releaseHeldSlot(row.id, instanceId, reason, CTX);
      return {
        json: { released: true, instanceId, slots },
        text: `Slot of ${instanceId} released. ${slotsLine(slots)}.`,
      };
    }
    case "license-file": {
      const requestPath = need(values, "request");
      let text: string;
      try {
        text = readFileSync(requestPath, "utf8");
      } catch (error) {
        throw new UsageError(`cannot read --request ${requestPath}: ${(error as Error).message}`);
      }
      const license = await findByKey(keyOption(values));
      const issued = await issueLicenseFile(text, { licenseId: license.id }, CTX);
      const out = values.out ?? issued.fileName;
      writeFileSync(out, issued.fileText);
      return {
        json: {
          licenseFile: out,
          license: issued.license.keyMasked,
          instanceId: issued.instanceId,
          expiresAt: issued.expiresAt.toISOString(),
          renewal: issued.renewal,
        },
        text: `License file for ${issued.instanceName} (${issued.instanceId}) on ${issued.license.keyMasked}, valid until ${day(issued.expiresAt)}: ${out}
On the installation: tz-license offline-import ${out}`,
      };
    }
    case "deactivate-code": {
      const result = await deactivateWithCode(need(values, "code"), { anyLicense: true }, CTX, "cli");
      return {
        json: { ...result, slotFreesAt: result.slotFreesAt.toISOString() },
        text: result.alreadyDeactivated
          ? `${result.instanceId} was already deactivated; its slot is free.`
          : `${result.instanceId} deactivated by its code; its slot is free now. ${slotsLine(result.slots)}.`,
      };
    }
    case "remind": {
      const reminders = await sendDueReminders();
      return {
        json: reminders,
        text: [
          reminders.sent ? `${reminders.sent} reminder${reminders.sent === 1 ? "" : "s"} sent.` : "No reminders sent.",
          ...(reminders.sent
            ? [
                table(
                  ["KEY", "KIND", "EMAIL"],
                  reminders.reminders.map((r) => [r.key, r.kind, r.email]),
                ),
              ]
            : []),
          ...(reminders.failed ? [`${reminders.failed} could not be sent; they are retried on the next run.`] : []),
        ].join("\n\n"),
        code: reminders.failed ? 1 : 0,
      };
    }
    case "api-token-create": {
      const input = { name: need(values, "name"), scope: need(values, "scope") };
      const staffUser = await staffUserByEmail(need(values, "email"));
      const { token, view } = await createStaffToken(input, staffUser, CTX);
      return {
        json: { token, apiToken: view },
        text: `${token}\n\n${view.scope === "write" ? "Read and write" : "Read-only"} token "${view.name}" for ${staffUser.email}. It is shown this once; the portal keeps only its hash.`,
      };
    }
    case "api-tokens": {
      const tokens = await listStaffTokens();
      return {
        json: { apiTokens: tokens },
        text: tokens.length
          ? table(
              ["ID", "NAME", "TOKEN", "SCOPE", "CREATED BY", "LAST USED", "REVOKED"],
              tokens.map((t) => [
                t.id,
                t.name,
                `${t.prefix}…`,
                t.scope,
                t.createdByEmail ?? "-",
                t.lastUsedAt ? t.lastUsedAt.toISOString() : "never",
                t.revokedAt ? day(t.revokedAt) : "-",
              ]),
            )
          : "No staff API tokens.",
      };
    }
    case "api-token-revoke": {
      const id = need(values, "id");
      const { alreadyRevoked } = await revokeStaffToken(id, CTX);
      return {
        json: { id, revoked: true, alreadyRevoked },
        text: alreadyRevoked
          ? `Token ${id} was already revoked.`
          : `Token ${id} is revoked: it is refused from now on.`,
      };
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  }
}

function secretsOutput(): Output {
  const stored = generateStoredSecrets();
  const lines = [
    `LICENSE_HMAC_SECRET=${stored.hmacSecret}`,
    `LICENSE_ENCRYPTION_KEYS=${stored.encryptionKeys.map((k) => `${k.kid}:${k.key}`).join(",")}`,
    `LICENSE_SIGNING_KEYS=${stored.signingKeys.map((k) => `${k.kid}:${k.pkcs8}`).join(",")}`,
  ];
  return {
    json: {
      LICENSE_HMAC_SECRET: lines[0]!.slice(lines[0]!.indexOf("=") + 1),
      LICENSE_ENCRYPTION_KEYS: lines[1]!.slice(lines[1]!.indexOf("=") + 1),
      LICENSE_SIGNING_KEYS: lines[2]!.slice(lines[2]!.indexOf("=") + 1),
    },
    text: `# Production secrets: keep them in your secret store, never in the repository.\n# Rotate by prepending a new kid:key to a list; older entries keep decrypting and verifying.\n${lines.join("\n")}`,
  };
}

async function main(): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: process.argv.slice(2), options: OPTIONS, allowPositionals: true }) as {
      values: Values;
      positionals: string[];
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const print = (output: Output) => {
    console.log(values.json ? JSON.stringify(output.json, null, 2) : output.text);
    return output.code ?? 0;
  };
  const fail = (code: string, message: string, exit: number) => {
    if (values.json) console.log(JSON.stringify({ error: { code, message } }, null, 2));
    else
      console.error(
        exit === 2 ? `${message}\nRun \`npm run license -- --help\` for usage.` : `Error (${code}): ${message}`,
      );
    return exit;
  };

  const [command, ...extra] = positionals;
  if (values.help || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (extra.length) return fail("USAGE", `unexpected argument(s): ${extra.join(" ")}`, 2);
  if (command === "secrets") return print(secretsOutput());
  const commands = [
    "status",
    "validate",
    "issue",
    "trial",
    "revoke",
    "suspend",
    "reinstate",
    "extend",
    "list",
    "installations",
    "deactivate",
    "release-slot",
    "license-file",
    "deactivate-code",
    "remind",
    "api-token-create",
    "api-tokens",
    "api-token-revoke",
  ];
  if (!command || !commands.includes(command)) {
    return fail("USAGE", command ? `unknown command "${command}"` : "no command given", 2);
  }

  let database: Database | null = null;
  try {
    // Argument errors first, without touching the database.
    if (command.startsWith("api-token")) {
      for (const name of command === "api-token-create"
        ? (["name", "scope", "email"] as const)
        : command === "api-token-revoke"
          ? (["id"] as const)
          : [])
        need(values, name);
    } else if (!["list", "issue", "trial", "remind", "deactivate-code"].includes(command)) keyOption(values);
    database = await bootstrapDatabase();
    return print(await run(command, values));
  } catch (error) {
    if (error instanceof UsageError) return fail("USAGE", error.message, 2);
    if (error instanceof LicenseError) return fail(error.code, error.message, 1);
    if (isDatabaseUnavailable(error)) return fail("UNAVAILABLE", "The database cannot be reached.", 3);
    const message = error instanceof Error ? error.message : String(error);
    return fail(
      "ERROR",
      message.replace(/TZ-[A-Z]{3,5}-[0-9A-Z-]{8,19}/gi, (k) => (parseKey(k) ? maskKey(parseKey(k)!.key) : k)),
      1,
    );
  } finally {
    await closeDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}

process.exitCode = await main();
// Nothing else should keep the process alive, but never hang an operator's terminal.
setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
