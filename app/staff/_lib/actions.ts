"use server";

import { currentClientIp } from "@ticketzero/core/http/client-ip";
import { deactivateInstallation, releaseHeldSlot } from "@ticketzero/core/license/activations";
import {
  extendById,
  issueCustom,
  reinstateById,
  revokeById,
  type StaffUser,
  setCustomLimits,
  staffContext,
  suspendById,
} from "@ticketzero/core/license/backoffice";
import { isLicenseError } from "@ticketzero/core/license/errors";
import { maskKeysIn } from "@ticketzero/core/license/keys";
import { PLANS } from "@ticketzero/core/license/plans";
import { createStaffToken, revokeStaffToken } from "@ticketzero/core/license/staff-tokens";
import {
  createEndpoint,
  deleteEndpoint,
  replayDelivery,
  rotateSecret,
  setEndpointEnabled,
  updateEndpoint,
} from "@ticketzero/core/license/webhooks";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
/**
 * Back-office server actions. Each one checks the session and the staff flag
 * again (whatever the layout showed), calls lib/license/backoffice.ts, and
 * returns a StaffActionResult: a stable code and a sentence, never a stack.
 */
import type { AirGappedResult } from "@/components/license/air-gapped-panel";
import type { StaffActionResult } from "@/components/staff/action-result";
import { staffAccess } from "@/lib/auth/staff";
import { deactivationCodeFromForm, licenseFileFromForm } from "@/lib/next/air-gapped";

const NOT_STAFF: StaffActionResult = {
  ok: false,
  code: "FORBIDDEN",
  message: "Only TicketZero staff can do this. Sign in with a staff account.",
};
const SIGNED_OUT: StaffActionResult = {
  ok: false,
  code: "UNAUTHENTICATED",
  message: "Your session has ended. Sign in again to continue.",
};

async function staff(): Promise<{ user: StaffUser; ip: string } | StaffActionResult> {
  const access = await staffAccess();
  if (access.kind === "signed_out") return SIGNED_OUT;
  if (access.kind === "forbidden") return NOT_STAFF;
  const ip = currentClientIp();
  return { user: access.user, ip };
}

function failure(error: unknown, what: string): StaffActionResult {
  if (isLicenseError(error)) {
    const details = error.extra.details;
    return {
      ok: false,
      code: error.code,
      message: maskKeysIn(error.message),
      fields:
        details && typeof details === "object"
          ? Object.fromEntries(Object.entries(details).map(([k, v]) => [k, String(v)]))
          : undefined,
    };
  }
  console.error(`[staff] ${what} failed:`, error instanceof Error ? maskKeysIn(error.message) : "unknown error");
  return { ok: false, code: "INTERNAL", message: `Something went wrong while trying to ${what}. Nothing was changed.` };
}

/** A refusal that hands the form's text fields back (never a key). */
function refused(error: unknown, what: string, form: FormData): StaffActionResult {
  const result = failure(error, what);
  const values: Record<string, string> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === "string" && !name.startsWith("$")) values[name] = value.slice(0, 500);
  }
  return result ? { ...result, values } : result;
}

function refresh() {
  revalidatePath("/staff", "layout");
}

const text = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
};

export async function setLimitsAction(licenseId: string, _prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const { license, warnings } = await setCustomLimits(
      licenseId,
      {
        maxClients: text(form, "maxClients"),
        maxTicketsPerMonth: text(form, "maxTicketsPerMonth"),
        maxActivations: text(form, "maxActivations"),
        swapsPer30Days: text(form, "swapsPer30Days"),
        heartbeatWindowDays: text(form, "heartbeatWindowDays"),
      },
      staffContext(who.user, who.ip),
    );
    refresh();
    return {
      ok: true,
      code: "LIMITS_SAVED",
      message: `Saved: ${license.maxClients.toLocaleString("en-US")} clients, ${license.maxTicketsPerMonth.toLocaleString("en-US")} tickets a month, ${license.maxActivations.toLocaleString("en-US")} activations.`,
      warnings,
    } satisfies StaffActionResult;
  } catch (error) {
    return refused(error, "save the limits", form);
  }
}

const CONFIRM_NEEDED: StaffActionResult = {
  ok: false,
  code: "CONFIRMATION_REQUIRED",
  message: "Tick “I understand” to confirm, then submit again.",
  fields: { confirm: "Confirm to continue." },
};

export async function changeStateAction(licenseId: string, _prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  const op = text(form, "op");
  const reason = text(form, "reason").slice(0, 500) || undefined;
  const ctx = staffContext(who.user, who.ip);
  try {
    if (op === "suspend" || op === "revoke") {
      if (text(form, "confirm") !== "yes") return CONFIRM_NEEDED;
      const row =
        op === "suspend" ? await suspendById(licenseId, ctx, reason) : await revokeById(licenseId, ctx, reason);
      refresh();
      return {
        ok: true,
        code: op === "suspend" ? "LICENSE_SUSPENDED" : "LICENSE_REVOKED",
        message:
          op === "suspend"
            ? `License ${row.keyMasked} is suspended. Installations are refused until it is reinstated.`
            : `License ${row.keyMasked} is revoked. Installations are refused from now on.`,
      } satisfies StaffActionResult;
    }
    if (op === "reinstate") {
      const row = await reinstateById(licenseId, ctx);
      refresh();
      return {
        ok: true,
        code: "REINSTATED",
        message: `License ${row.keyMasked} is active again.`,
      } satisfies StaffActionResult;
    }
    return { ok: false, code: "VALIDATION_FAILED", message: "Unknown action." } satisfies StaffActionResult;
  } catch (error) {
    return failure(error, `${op} the license`);
  }
}

export async function extendAction(licenseId: string, _prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const row = await extendById(licenseId, text(form, "days"), staffContext(who.user, who.ip));
    refresh();
    return {
      ok: true,
      code: "EXTENDED",
      message: `License ${row.keyMasked} now runs until ${row.expiresAt.toISOString().slice(0, 10)}.`,
    } satisfies StaffActionResult;
  } catch (error) {
    const result = refused(error, "extend the license", form);
    if (result && result.code === "VALIDATION_FAILED") result.message = result.message.replace(/^Days: /, "");
    return result;
  }
}

export async function issueAction(_prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const { license, key } = await issueCustom(
      {
        plan: text(form, "plan"),
        email: text(form, "email"),
        company: text(form, "company"),
        days: text(form, "days"),
        limits: {
          maxClients: text(form, "maxClients"),
          maxTicketsPerMonth: text(form, "maxTicketsPerMonth"),
          maxActivations: text(form, "maxActivations"),
        },
      },
      staffContext(who.user, who.ip),
    );
    refresh();
    return {
      ok: true,
      code: "ISSUED",
      message: `${PLANS[license.plan as keyof typeof PLANS]?.name ?? license.plan} license issued to ${license.email}, valid until ${license.expiresAt.toISOString().slice(0, 10)}.`,
      licenseKey: key,
      licenseId: license.id,
    } satisfies StaffActionResult;
  } catch (error) {
    return refused(error, "issue the license", form);
  }
}

/** Frees an installation's slot (bound license id; the form sends `instanceId`). */
export async function staffDeactivateAction(licenseId: string, form: FormData): Promise<void> {
  const who = await staff();
  if (!who || !("user" in who)) return;
  const instanceId = text(form, "instanceId");
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(instanceId)) return;
  try {
    await deactivateInstallation({ licenseId }, instanceId, staffContext(who.user, who.ip), "staff");
  } catch (error) {
    if (!isLicenseError(error)) console.error("[staff] deactivate failed:", (error as Error)?.name);
  }
  refresh();
}

/**
 * Staff override: frees a deactivated installation's held slot now (the
 * form sends `instanceId` and a `reason`, recorded in the audit log).
 */
export async function staffReleaseSlotAction(licenseId: string, form: FormData): Promise<void> {
  const who = await staff();
  if (!who || !("user" in who)) return;
  const instanceId = text(form, "instanceId");
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(instanceId)) return;
  // An override without a reason is not made (the form requires one; a hand-made post gets nothing).
  const reason = text(form, "reason").slice(0, 500);
  if (!reason) return;
  try {
    await releaseHeldSlot(licenseId, instanceId, reason, staffContext(who.user, who.ip));
  } catch (error) {
    if (!isLicenseError(error)) console.error("[staff] release failed:", (error as Error)?.name);
  }
  refresh();
}

/** An air-gapped form's action for staff (checked again here). */
async function asStaff(
  what: string,
  run: (ctx: ReturnType<typeof staffContext>) => Promise<AirGappedResult>,
): Promise<AirGappedResult> {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const result = await run(staffContext(who.user, who.ip));
    if (result?.ok) refresh();
    return result;
  } catch (error) {
    return failure(error, what);
  }
}

/** Air-gapped: a customer's request file in, a license file for this license out (counted like any activation). */
export async function staffLicenseFileAction(
  licenseId: string,
  _prev: AirGappedResult,
  form: FormData,
): Promise<AirGappedResult> {
  return asStaff("issue the license file", (ctx) => licenseFileFromForm(form, licenseId, ctx));
}

/** Air-gapped: an installation's deactivation code frees its slot. */
export async function staffDeactivationCodeAction(
  licenseId: string,
  _prev: AirGappedResult,
  form: FormData,
): Promise<AirGappedResult> {
  return asStaff("free the slot", (ctx) => deactivationCodeFromForm(form, licenseId, ctx, "staff"));
}

// ---------------------------------------------------------------- staff API tokens

/** A new staff API token; the clear token comes back in `secret`, this once. */
export async function createTokenAction(_prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const { token, view } = await createStaffToken(
      { name: text(form, "name"), scope: text(form, "scope") },
      who.user,
      staffContext(who.user, who.ip),
    );
    revalidatePath("/staff/api-tokens");
    return {
      ok: true,
      code: "TOKEN_CREATED",
      message: `Token “${view.name}” created with ${view.scope === "write" ? "read and write" : "read-only"} access.`,
      secret: token,
    } satisfies StaffActionResult;
  } catch (error) {
    return refused(error, "create the token", form);
  }
}

/** Revokes a token at once (the form sends `tokenId`); the list shows the outcome. */
export async function revokeTokenAction(form: FormData): Promise<void> {
  const who = await staff();
  if (!who || !("user" in who)) return;
  try {
    await revokeStaffToken(text(form, "tokenId"), staffContext(who.user, who.ip));
  } catch (error) {
    if (!isLicenseError(error)) console.error("[staff] revoke token failed:", (error as Error)?.name);
  }
  revalidatePath("/staff/api-tokens");
}

// ---------------------------------------------------------------- webhooks

const endpointInput = (form: FormData) => ({
  url: text(form, "url"),
  description: text(form, "description"),
  events: form.getAll("events").filter((v): v is string => typeof v === "string"),
  enabled: text(form, "enabled") === "on",
});

/** A refused endpoint form keeps its inputs (the events as one comma-separated value). */
function refusedEndpoint(error: unknown, what: string, form: FormData): StaffActionResult {
  const result = refused(error, what, form);
  if (result) result.values = { ...result.values, events: endpointInput(form).events.join(",") };
  return result;
}

export async function createWebhookAction(_prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const { endpoint, secret } = await createEndpoint(endpointInput(form), staffContext(who.user, who.ip));
    refresh();
    return {
      ok: true,
      code: "WEBHOOK_CREATED",
      message: `Endpoint added: ${endpoint.url} (${endpoint.events.length} event${endpoint.events.length === 1 ? "" : "s"}).`,
      secret,
      endpointId: endpoint.id,
    } satisfies StaffActionResult;
  } catch (error) {
    return refusedEndpoint(error, "add the endpoint", form);
  }
}

export async function updateWebhookAction(endpointId: string, _prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const endpoint = await updateEndpoint(endpointId, endpointInput(form), staffContext(who.user, who.ip));
    refresh();
    return { ok: true, code: "WEBHOOK_SAVED", message: `Saved ${endpoint.url}.` } satisfies StaffActionResult;
  } catch (error) {
    return refusedEndpoint(error, "save the endpoint", form);
  }
}

/** enable / disable / rotate (confirmed) / delete (confirmed) one endpoint. */
export async function webhookStateAction(endpointId: string, _prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  const op = text(form, "op");
  const ctx = staffContext(who.user, who.ip);
  try {
    if (op === "enable" || op === "disable") {
      const endpoint = await setEndpointEnabled(endpointId, op === "enable", ctx);
      refresh();
      return {
        ok: true,
        code: op === "enable" ? "WEBHOOK_ENABLED" : "WEBHOOK_DISABLED",
        message: endpoint.enabled
          ? "Enabled: new events are delivered to this endpoint."
          : "Disabled: nothing is sent; its pending deliveries were cancelled.",
      } satisfies StaffActionResult;
    }
    if (op === "rotate" || op === "delete") {
      if (text(form, "confirm") !== "yes") return CONFIRM_NEEDED;
      if (op === "rotate") {
        const { secret } = await rotateSecret(endpointId, ctx);
        refresh();
        return {
          ok: true,
          code: "WEBHOOK_SECRET_ROTATED",
          message: "New signing secret: the old one no longer signs anything.",
          secret,
          endpointId,
        } satisfies StaffActionResult;
      }
      await deleteEndpoint(endpointId, ctx);
      refresh();
    } else {
      return { ok: false, code: "VALIDATION_FAILED", message: "Unknown action." } satisfies StaffActionResult;
    }
  } catch (error) {
    return failure(error, `${op} the endpoint`);
  }
  redirect("/staff/webhooks?deleted=1");
}

/** Sends a delivery's event again (the same webhook-id); the form sends `deliveryId`. */
export async function replayWebhookAction(_prev: StaffActionResult, form: FormData) {
  const who = await staff();
  if (!who || !("user" in who)) return who;
  try {
    const replay = await replayDelivery(text(form, "deliveryId"), staffContext(who.user, who.ip));
    refresh();
    return {
      ok: true,
      code: "WEBHOOK_REPLAYED",
      message: `Queued again as delivery #${replay.id}, with the same webhook-id (${replay.eventId}).`,
    } satisfies StaffActionResult;
  } catch (error) {
    return failure(error, "replay the delivery");
  }
}
