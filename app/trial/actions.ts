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
    const { license, key } = await startTrial(email.data, { actor: "public", ip, accountId: user?.id ?? null });
    if (user) revalidatePath("/admin", "layout");
    return {
      ok: true,
      message: `We also emailed the key to ${license.email}. Sign in with that address to manage it in the Admin Panel.`,
      licenseKey: key,
      license: await licenseSummary(license),
    };
  } catch (error) {
    return toActionResult(error, "start the trial");
  }
}
