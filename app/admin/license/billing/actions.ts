"use server";

import { isLicenseError } from "@ticketzero/core/license/errors";
import {
  billingPortalUrl,
  scheduleDowngrade,
  setAutoRenew,
  simulateTestRenewal,
} from "@ticketzero/core/stripe/subscriptions";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { sessionUser } from "@/lib/auth/session";
import { signInHref, userContext } from "../../_lib/session";

export type BillingActionState = { ok: boolean; message: string } | null;

const field = (formData: FormData, name: string) => {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
};

async function run(work: (user: { id: string }) => Promise<string>): Promise<BillingActionState> {
  const user = await sessionUser();
  if (!user) redirect(signInHref("/admin/license"));
  try {
    const message = await work(user);
    revalidatePath("/admin", "layout");
    return { ok: true, message };
  } catch (error) {
    if (isLicenseError(error)) return { ok: false, message: error.message };
    console.error("[billing] action failed:", error instanceof Error ? error.message : error);
    return { ok: false, message: "That didn’t work right now. Nothing was changed; please try again in a minute." };
  }
}

/** "Manage billing": Stripe's Customer Portal, or the local test-mode billing page. Owners and admins. */
export async function manageBillingAction(_prev: BillingActionState, formData: FormData): Promise<BillingActionState> {
  const user = await sessionUser();
  if (!user) redirect(signInHref("/admin/license"));
  let url: string;
  try {
    url = await billingPortalUrl(user.id, field(formData, "licenseId"), userContext(user));
  } catch (error) {
    if (isLicenseError(error)) return { ok: false, message: error.message };
    console.error("[billing] portal failed:", error instanceof Error ? error.message : error);
    return { ok: false, message: "We couldn’t open billing right now. Please try again in a minute." };
  }
  redirect(url);
}

export async function autoRenewAction(_prev: BillingActionState, formData: FormData): Promise<BillingActionState> {
  const renew = field(formData, "renew") === "on";
  return run(async (user) => {
    await setAutoRenew(user.id, field(formData, "licenseId"), renew, userContext(user));
    return renew
      ? "Auto-renew is on again: the license renews at the end of the period."
      : "Auto-renew is off: the license keeps working until the end of the period, then expires.";
  });
}

export async function downgradeAction(_prev: BillingActionState, formData: FormData): Promise<BillingActionState> {
  return run(async (user) => {
    const row = await scheduleDowngrade(
      user.id,
      field(formData, "licenseId"),
      field(formData, "plan"),
      userContext(user),
    );
    return row.scheduledPlan
      ? "The plan changes at the next renewal; until then nothing changes."
      : "The scheduled plan change is cancelled.";
  });
}

export async function simulateRenewalAction(
  _prev: BillingActionState,
  formData: FormData,
): Promise<BillingActionState> {
  return run(async (user) => {
    const renewed = await simulateTestRenewal(user.id, field(formData, "licenseId"), userContext(user));
    return renewed.recorded ? "Test renewal charged and recorded." : "This renewal was already recorded.";
  });
}
