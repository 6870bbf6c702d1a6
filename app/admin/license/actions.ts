"use server";

import { getDb } from "@ticketzero/core/db/client";
import { deactivateInstallation, INSTANCE_ID_PATTERN } from "@ticketzero/core/license/activations";
import { recordAudit } from "@ticketzero/core/license/audit";
import { isLicenseError } from "@ticketzero/core/license/errors";
import { type LicenseRow, normaliseEmail } from "@ticketzero/core/license/licenses";
import { PLANS } from "@ticketzero/core/license/plans";
import {
  claimLicenseByEmail,
  claimLicenseByKey,
  requireLicenseRole,
  setPrimaryLicense,
} from "@ticketzero/core/license/teams";
import { startTrial } from "@ticketzero/core/license/trial";
import { decryptKey } from "@ticketzero/core/license/vault";
import { consumeTrialBudget, guardKeyLookup } from "@ticketzero/core/server/rate-limit";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import type { ActionResult } from "@/components/license/action-result";
import type { AirGappedResult } from "@/components/license/air-gapped-panel";
import { sessionUser } from "@/lib/auth/session";
import { deactivationCodeFromForm, licenseFileFromForm } from "@/lib/next/air-gapped";
import { toActionResult } from "../_lib/action-errors";
import { SIGNED_OUT, signInHref, userContext } from "../_lib/session";
import { licenseSummary } from "../_lib/summary";

function refresh() {
  revalidatePath("/admin", "layout");
}

/**
 * "Add a license key": the key joins the account (an unowned license moves to
 * the user's team). It records no installation, so it uses none of the
 * license's paid slots: installations activate themselves with the key.
 */
export async function activateLicenseAction(_prev: ActionResult, formData: FormData): Promise<ActionResult> {
  const user = await sessionUser();
  if (!user) return SIGNED_OUT;
  const rawKey = formData.get("licenseKey");
  try {
    const ctx = userContext(user);
    const { license, attached } = await guardKeyLookup(
      ctx.ip,
      rawKey,
      () => Promise.resolve(),
      (licenseKey) => claimLicenseByKey(user, licenseKey, ctx),
    );
    refresh();
    const plan = PLANS[license.plan as keyof typeof PLANS]?.name ?? "Your";
    return {
      ok: true,
      code: attached ? "ADDED" : "ALREADY_ON_ACCOUNT",
      message: attached
        ? `${plan} license ${license.keyMasked} is now on your account. Installations activate themselves with the key; adding it here used none of its installation slots.`
        : `License ${license.keyMasked} is already on your account; nothing changed.`,
      license: await licenseSummary(license),
    };
  } catch (error) {
    return toActionResult(error, "add the license");
  }
}

/** Back to License & Billing on a license, with a notice (a fixed code: the page owns the words). */
function backTo(licenseId: string | null, notice: string): never {
  const query = new URLSearchParams({ notice });
  if (licenseId) query.set("license", licenseId);
  redirect(`/admin/license?${query}`);
}

const noticeFor = (error: unknown, fallback: string) =>
  isLicenseError(error) && error.code === "FORBIDDEN" ? "read_only" : fallback;

/** "Add to my account" for a license issued to the signed-in address (a public trial, a gift). */
export async function claimLicenseAction(licenseId: string): Promise<void> {
  const user = await sessionUser();
  if (!user) redirect(signInHref("/admin/license"));
  let notice = "claimed";
  try {
    await claimLicenseByEmail(user, licenseId, userContext(user));
  } catch (error) {
    notice = noticeFor(error, "claim_failed");
  }
  refresh();
  backTo(notice === "claimed" ? licenseId : null, notice);
}

/** An admin's choice of the license the Admin Panel opens on. */
export async function setPrimaryLicenseAction(licenseId: string): Promise<void> {
  const user = await sessionUser();
  if (!user) redirect(signInHref("/admin/license"));
  let notice = "primary_set";
  try {
    await setPrimaryLicense(user.id, licenseId, userContext(user));
  } catch (error) {
    notice = noticeFor(error, "primary_failed");
  }
  refresh();
  backTo(licenseId, notice);
}

/** "Start 30-Day Trial" in the Admin Panel: for the signed-in address only, straight onto their team. */
export async function startAccountTrialAction(_prev: ActionResult, formData: FormData): Promise<ActionResult> {
  const user = await sessionUser();
  if (!user) return SIGNED_OUT;
  const email = formData.get("email");
  if (typeof email === "string" && email.trim() && normaliseEmail(email) !== normaliseEmail(user.email)) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      message: `A trial started here belongs to your account, ${user.email}. To start one for another address, use the public trial page.`,
    };
  }
  try {
    const ctx = userContext(user);
    await consumeTrialBudget(ctx.ip);
    const { license, key } = await startTrial(user.email, ctx, user);
    refresh();
    return {
      ok: true,
      message: `Your trial is active on this account. We also emailed the key to ${license.email}.`,
      licenseKey: key,
      license: await licenseSummary(license),
    };
  } catch (error) {
    return toActionResult(error, "start the trial");
  }
}

/**
 * Deactivate from the installations table (after its confirmation): admins
 * only, checked again here. Lands back on the page with a notice that says
 * what happened (slot free now, or when it frees).
 */
export async function deactivateInstallationAction(licenseId: string, formData: FormData): Promise<void> {
  const user = await sessionUser();
  if (!user) redirect(signInHref("/admin/license"));
  const instanceId = formData.get("instanceId");
  const back = new URLSearchParams({ license: licenseId });
  if (typeof instanceId !== "string" || !INSTANCE_ID_PATTERN.test(instanceId)) {
    back.set("notice", "deactivate_failed");
  } else {
    try {
      const { license, teamId } = await requireLicenseRole(user.id, licenseId, "admin");
      await deactivateInstallation({ licenseId: license.id }, instanceId, userContext(user, teamId), "account");
      back.set("deactivated", instanceId);
    } catch (error) {
      back.set("notice", noticeFor(error, "deactivate_failed"));
    }
  }
  refresh();
  redirect(`/admin/license?${back}#installations`);
}

export type RevealResult = { ok: true; key: string } | { ok: false; message: string };

/** The full key of one of the account's licenses, for the "Reveal key" control: admins and owners only. */
export async function revealKeyAction(licenseId: string): Promise<RevealResult> {
  const user = await sessionUser();
  if (!user) return { ok: false, message: SIGNED_OUT!.message };
  let license: LicenseRow;
  let teamId: string;
  try {
    ({ license, teamId } = await requireLicenseRole(user.id, licenseId, "admin"));
  } catch (error) {
    return { ok: false, message: toActionResult(error, "show the key")!.message };
  }
  try {
    const key = decryptKey(license.keyCiphertext);
    await recordAudit(getDb(), userContext(user, teamId), {
      licenseId: license.id,
      action: "license.key_revealed",
    });
    return { ok: true, key };
  } catch {
    return { ok: false, message: "The key can’t be shown right now. Try again in a moment." };
  }
}

/** An air-gapped form's action for an owner or admin of `licenseId`, checked on the server each time. */
async function asLicenseAdmin(
  licenseId: string,
  what: string,
  run: (licenseId: string, ctx: ReturnType<typeof userContext>) => Promise<AirGappedResult>,
): Promise<AirGappedResult> {
  const user = await sessionUser();
  if (!user) return SIGNED_OUT;
  try {
    const { license, teamId } = await requireLicenseRole(user.id, licenseId, "admin");
    const result = await run(license.id, userContext(user, teamId));
    if (result?.ok) refresh();
    return result;
  } catch (error) {
    return toActionResult(error, what);
  }
}

/** Air-gapped: a request file in, a license file to download out. */
export async function issueLicenseFileAction(
  licenseId: string,
  _prev: AirGappedResult,
  formData: FormData,
): Promise<AirGappedResult> {
  return asLicenseAdmin(licenseId, "create the license file", (id, ctx) => licenseFileFromForm(formData, id, ctx));
}

/** Air-gapped: the code an installation printed when it deleted its license file frees its slot. */
export async function deactivationCodeAction(
  licenseId: string,
  _prev: AirGappedResult,
  formData: FormData,
): Promise<AirGappedResult> {
  return asLicenseAdmin(licenseId, "free the slot", (id, ctx) =>
    deactivationCodeFromForm(formData, id, ctx, "account"),
  );
}
