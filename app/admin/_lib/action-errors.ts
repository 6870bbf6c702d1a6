/**
 * Turns anything a server action may throw into an ActionResult: a stable
 * code and a sentence a person can act on. Never a stack trace.
 */
import "server-only";

import { isDatabaseUnavailable } from "@ticketzero/core/db/client";
import { isLicenseError } from "@ticketzero/core/license/errors";
import { maskKeysIn } from "@ticketzero/core/license/keys";
import { supportEmail } from "@ticketzero/core/license/support";
import type { ActionResult } from "@/components/license/action-result";

const FRIENDLY = (): Partial<Record<string, string>> => ({
  INVALID_FORMAT:
    "That is not a valid license key format. Paid keys look like TZ-PRO-XXXX-XXXX-XXXX-XXXX and trial keys like TZ-TRIAL-XXXXXXXX.",
  LICENSE_NOT_FOUND:
    "We couldn’t find a license with that key. Check it for typos, or copy it from your purchase or trial email.",
  LICENSE_OWNED_BY_ANOTHER_ACCOUNT: `This license belongs to another account. Sign in with the email address it was issued to, or contact support at ${supportEmail()}.`,
  TRIAL_ALREADY_USED: "A trial has already been started for this email address.",
});

export function toActionResult(error: unknown, what: string): ActionResult {
  if (isLicenseError(error)) {
    const message = FRIENDLY()[error.code] ?? maskKeysIn(error.message);
    return { ok: false, code: error.code, message };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      ok: false,
      code: "UNAVAILABLE",
      message: "The license service is briefly unavailable. Nothing was changed; try again in a moment.",
    };
  }
  console.error(`[admin] ${what} failed:`, error instanceof Error ? maskKeysIn(error.message) : "unknown error");
  return {
    ok: false,
    code: "INTERNAL",
    message: `Something went wrong while trying to ${what}. Nothing was changed; try again in a moment.`,
  };
}
