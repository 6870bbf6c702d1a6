"use server";

import { redirect, unstable_rethrow } from "next/navigation";
import { z } from "zod";
import type { ActionResult } from "@/components/license/action-result";
import { signIn, signOut } from "@/lib/auth";
import { endAllSessions, sessionUser } from "@/lib/auth/session";
import { safeCallbackPath } from "../admin/_lib/session";

const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

/** Sends the magic link; next-auth then redirects to /signin/check-email. */
export async function requestSignInLink(_prev: ActionResult, formData: FormData): Promise<ActionResult> {
  const email = emailSchema.safeParse(formData.get("email"));
  if (!email.success) {
    return { ok: false, code: "VALIDATION_FAILED", message: "Enter a valid email address, like you@your-msp.com." };
  }
  const redirectTo = safeCallbackPath(formData.get("callbackUrl"));
  const failed: ActionResult = {
    ok: false,
    code: "INTERNAL",
    message: "We couldn’t send the sign-in link just now. Try again in a moment.",
  };
  try {
    // next-auth answers with where it would go next: its verify-request page, or ?error=… on failure.
    const next = await signIn("email", { email: email.data, redirectTo, redirect: false });
    if (typeof next === "string" && /[?&]error=/.test(next)) {
      console.error(
        "[signin] next-auth refused to send a sign-in link:",
        new URL(next, "http://x").searchParams.get("error"),
      );
      return failed;
    }
  } catch (error) {
    unstable_rethrow(error);
    console.error("[signin] could not send a sign-in link:", error instanceof Error ? error.name : "unknown error");
    return failed;
  }
  redirect(`/signin/check-email?${new URLSearchParams({ email: email.data })}`);
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/" });
}

/** "Sign out everywhere": ends every session of this user (other browsers, copied cookies), then this one. */
export async function signOutEverywhereAction(): Promise<void> {
  const user = await sessionUser();
  if (user) await endAllSessions(user.id);
  await signOut({ redirectTo: "/signin?signedOut=everywhere" });
}
