"use server";

import { createHash } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { licenses } from "@ticketzero/core/db/schema";
import { currentClientIp } from "@ticketzero/core/http/client-ip";
import { activateLicense, deactivateInstallation, INSTANCE_ID_PATTERN } from "@ticketzero/core/license/activations";
import { recordAudit } from "@ticketzero/core/license/audit";
import { LicenseError } from "@ticketzero/core/license/errors";
import { normaliseEmail } from "@ticketzero/core/license/licenses";
import { PLANS } from "@ticketzero/core/license/plans";
import { startTrial } from "@ticketzero/core/license/trial";
import { decryptKey } from "@ticketzero/core/license/vault";
import { consumeActivationBudget, consumeTrialBudget, guardKeyLookup } from "@ticketzero/core/server/rate-limit";
import { and, eq } from "drizzle-orm";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionResult } from "@/components/license/action-result";
import { sessionUser } from "@/lib/auth/session";
import { toActionResult } from "../_lib/action-errors";
import { SIGNED_OUT } from "../_lib/session";
import { licenseSummary } from "../_lib/summary";

function refresh() {
  revalidatePath("/admin", "layout");
}

/** A stable installation id for keys activated from the portal: one per account, or per account and name. */
function portalInstanceId(accountId: string, name: string | null): string {
  const base = `portal-${accountId.replace(/[^A-Za-z0-9]/g, "").slice(0, 12)}`;
  if (!name) return base;
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40);
  return `${base}-${slug || createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
}

const nameSchema = z
  .string()
  .trim()
  .max(100)
  .transform((v) => v.replace(/\s+/g, " ") || null)
  .nullable()
  .catch(null);

/** "Activate License": attaches the key to this account and records the Admin Panel as an installation. */
export async function activateLicenseAction(_prev: ActionResult, formData: FormData): Promise<ActionResult> {
  const user = await sessionUser();
  if (!user) return SIGNED_OUT;
  const rawKey = formData.get("licenseKey");
  const rawName = formData.get("instanceName");
  if (typeof rawName === "string" && rawName.trim().length > 100) {
    return { ok: false, code: "VALIDATION_FAILED", message: "Keep the installation name to 100 characters or fewer." };
  }
  const instanceName = nameSchema.parse(typeof rawName === "string" ? rawName : null);
  try {
    const ip = currentClientIp();
    const ctx = { actor: `user:${user.id}`, ip, accountId: user.id };
    const instanceId = portalInstanceId(user.id, instanceName);
    const { license, activation, created } = await guardKeyLookup(
      ip,
      rawKey,
      (licenseKey) => consumeActivationBudget(licenseKey, instanceId),
      (licenseKey) => activateLicense({ licenseKey, instanceId, instanceName: instanceName ?? "Admin Panel" }, ctx),
      instanceId,
    );
    refresh();
    const where = activation.instanceName ?? "Admin Panel";
    return {
      ok: true,
      code: created ? "ACTIVATED" : "ALREADY_ACTIVE",
      message: created
        ? `${PLANS[license.plan as keyof typeof PLANS]?.name ?? "Your"} license ${license.keyMasked} is activated on “${where}” and linked to your account.`
        : `License ${license.keyMasked} was already activated on “${where}”. It is linked to your account; nothing else changed.`,
      license: await licenseSummary(license),
    };
  } catch (error) {
    return toActionResult(error, "activate the license");
  }
}

/** "Start 30-Day Trial" in the Admin Panel: for the signed-in address only. */
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
    const ip = currentClientIp();
    await consumeTrialBudget(ip);
    const { license, key } = await startTrial(user.email, { actor: `user:${user.id}`, ip, accountId: user.id });
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

/** The license, if it belongs to the signed-in account. */
async function ownedLicense(licenseId: unknown, accountId: string) {
  if (typeof licenseId !== "string" || !z.uuid().safeParse(licenseId).success) return null;
  const [row] = await getDb()
    .select()
    .from(licenses)
    .where(and(eq(licenses.id, licenseId), eq(licenses.accountId, accountId)));
  return row ?? null;
}

/** Deactivate from the installations table (the license id is bound; ownership is checked again here). */
export async function deactivateInstallationAction(licenseId: string, formData: FormData): Promise<void> {
  const user = await sessionUser();
  if (!user) return;
  const instanceId = formData.get("instanceId");
  if (typeof instanceId !== "string" || !INSTANCE_ID_PATTERN.test(instanceId)) return;
  const license = await ownedLicense(licenseId, user.id);
  if (!license) return;
  try {
    await deactivateInstallation(
      { licenseId: license.id },
      instanceId,
      {
        actor: `user:${user.id}`,
        ip: currentClientIp(),
        accountId: user.id,
      },
      "account",
    );
  } catch (error) {
    // Already gone (another tab, the installation itself): the refreshed table says so.
    if (!(error instanceof LicenseError)) console.error("[admin] deactivate failed:", (error as Error)?.name);
  }
  refresh();
}

export type RevealResult = { ok: true; key: string } | { ok: false; message: string };

/** The full key of one of the account's licenses, for the "Reveal key" control. */
export async function revealKeyAction(licenseId: string): Promise<RevealResult> {
  const user = await sessionUser();
  if (!user) return { ok: false, message: SIGNED_OUT!.message };
  const license = await ownedLicense(licenseId, user.id);
  if (!license) return { ok: false, message: "That license is not on your account." };
  try {
    const key = decryptKey(license.keyCiphertext);
    await recordAudit(
      getDb(),
      { actor: `user:${user.id}`, ip: currentClientIp(), accountId: user.id },
      {
        licenseId: license.id,
        action: "license.key_revealed",
      },
    );
    return { ok: true, key };
  } catch {
    return { ok: false, message: "The key can’t be shown right now. Try again in a moment." };
  }
}
