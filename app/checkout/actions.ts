"use server";

import { isLicenseError } from "@ticketzero/core/license/errors";
import { completeTestCheckout } from "@ticketzero/core/license/fulfilment";
import { type CheckoutFieldErrors, createCheckout } from "@ticketzero/core/stripe/checkout";
import { redirect } from "next/navigation";
import { sessionUser } from "@/lib/auth/session";
import { ensureBuyerToken, readBuyerToken } from "./buyer-cookie";

export type CheckoutFormState = {
  message: string;
  fieldErrors: CheckoutFieldErrors;
  values: { email: string; company: string };
} | null;

const text = (formData: FormData, name: string) => {
  const value = formData.get(name);
  return typeof value === "string" ? value.trim() : "";
};

async function signedInAccountId(): Promise<string | null> {
  try {
    return (await sessionUser())?.id ?? null;
  } catch {
    return null;
  }
}

/** "Continue to payment": validates, starts the checkout, sends the buyer to Stripe (or the test page). */
export async function startCheckout(_prev: CheckoutFormState, formData: FormData): Promise<CheckoutFormState> {
  const values = { email: text(formData, "email"), company: text(formData, "company") };
  let url: string;
  try {
    ({ url } = await createCheckout({
      plan: text(formData, "plan"),
      email: values.email,
      company: values.company || null,
      // The account comes from the session cookie, never from the form.
      accountId: await signedInAccountId(),
      upgradeFromLicenseId: text(formData, "upgradeFrom") || null,
      renewLicenseId: text(formData, "renew") || null,
      buyerToken: await ensureBuyerToken(),
    }));
  } catch (error) {
    if (isLicenseError(error)) {
      const details = error.extra.details as { fields?: CheckoutFieldErrors } | undefined;
      const fieldErrors = details?.fields ?? {};
      return {
        message: Object.keys(fieldErrors).length ? "Please correct the highlighted fields." : error.message,
        fieldErrors,
        values,
      };
    }
    console.error("[checkout] could not start checkout:", error instanceof Error ? error.message : error);
    return {
      message: "We couldn’t start the payment right now. Nothing was charged; please try again in a minute.",
      fieldErrors: {},
      values,
    };
  }
  redirect(url);
}

export type TestPayState = { message: string } | null;

/** The test-mode "Pay" button: marks the session paid, fulfils it, shows the success page. */
export async function payTestCheckout(_prev: TestPayState, formData: FormData): Promise<TestPayState> {
  const sessionId = text(formData, "sessionId");
  try {
    await completeTestCheckout(sessionId, { buyerToken: await readBuyerToken() });
  } catch (error) {
    if (isLicenseError(error)) return { message: error.message };
    console.error("[checkout] test payment failed:", error instanceof Error ? error.message : error);
    return { message: "The test payment could not be completed. Please try again." };
  }
  redirect(`/checkout/success?session_id=${encodeURIComponent(sessionId)}`);
}
