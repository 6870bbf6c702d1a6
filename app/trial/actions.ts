"use server";

import { currentClientIp } from "@ticketzero/core/http/client-ip";
import { startTrial } from "@ticketzero/core/license/trial";
import { consumeTrialBudget } from "@ticketzero/core/server/rate-limit";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionResult } from "@/components/license/action-result";
import { sessionUser } from "@/lib/auth/session";
import { toActionResult } from "../admin/_lib/action-errors";
import { licenseSummary } from "../admin/_lib/summary";

const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

/** The public trial form: one trial per email address, rate-limited per client address. */
export async function startPublicTrial(_prev: ActionResult, formData: FormData): Promise<ActionResult> {
  const email = emailSchema.safeParse(formData.get("email"));
  if (!email.success) {
    return { ok: false, code: "VALIDATION_FAILED", message: "Enter a valid email address, like you@your-msp.com." };
  }
  try {
    const ip = currentClientIp();
    await consumeTrialBudget(ip);
    const user = await sessionUser();
    // A visitor signed in as that very address gets it on their account; anyone else's trial waits to be claimed.
    const { license, key, claimed } = await startTrial(
      email.data,
      { actor: "public", ip, accountId: user?.id ?? null },
      user,
    );
    if (user) revalidatePath("/admin", "layout");
    return {
      ok: true,
      message: claimed
        ? `It is on your account: open Admin Panel → License & Billing to manage it. We also emailed the key to ${license.email}.`
        : `We also emailed the key to ${license.email}. To manage it, sign in with that address and choose “Add to my account” in the Admin Panel; no account changes until then.`,
      licenseKey: key,
      license: await licenseSummary(license),
    };
  } catch (error) {
    return toActionResult(error, "start the trial");
  }
}
