"use server";

import { unstable_rethrow } from "next/navigation";
import { z } from "zod";
import type { ActionResult } from "@/components/license/action-result";
import { signIn, signOut } from "@/lib/auth";
import { safeCallbackPath } from "../admin/_lib/session";

const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

/** Sends the magic link; next-auth then redirects to /signin/check-email. */
export async function requestSignInLink(_prev: ActionResult, formData: FormData): Promise<ActionResult> {
  const email = emailSchema.safeParse(formData.get("email"));
  if (!email.success) {
    return { ok: false, code: "VALIDATION_FAILED", message: "Enter a valid email address, like you@your-msp.com." };
  }
  const redirectTo = safeCallbackPath(formData.get("callbackUrl"));
  try {
    await signIn("email", { email: email.data, redirectTo });
  } catch (error) {
    unstable_rethrow(error); // the redirect to the check-email page
    console.error("[signin] could not send a sign-in link:", error instanceof Error ? error.name : "unknown error");
    return {
      ok: false,
      code: "INTERNAL",
      message: "We couldn’t send the sign-in link just now. Try again in a moment.",
    };
  }
  return { ok: true, message: "Check your inbox for the sign-in link." };
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/" });
}
