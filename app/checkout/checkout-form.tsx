"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field } from "@/components/ui/field";
import { ArrowRightIcon, LockIcon } from "@/components/ui/icons";
import { SubmitButton } from "@/components/ui/submit-button";
import { type CheckoutFormState, startCheckout } from "./actions";

export type CheckoutFormProps = {
  plan: string;
  upgradeFrom?: string | null;
  renew?: string | null;
  defaultEmail?: string;
  /** Signed-in buyers buy for their account: the email is fixed. */
  emailLocked?: boolean;
  testMode: boolean;
};

export function CheckoutForm({
  plan,
  upgradeFrom,
  renew,
  defaultEmail = "",
  emailLocked,
  testMode,
}: CheckoutFormProps) {
  const [state, action] = useActionState<CheckoutFormState, FormData>(startCheckout, null);
  const errors = state?.fieldErrors ?? {};
  const general = state && (!Object.keys(errors).length || errors.plan || errors.license) ? state.message : null;
  return (
    <form action={action} noValidate className="space-y-5" aria-describedby={general ? "checkout-error" : undefined}>
      <input type="hidden" name="plan" value={plan} />
      {upgradeFrom ? <input type="hidden" name="upgradeFrom" value={upgradeFrom} /> : null}
      {renew ? <input type="hidden" name="renew" value={renew} /> : null}

      {state ? (
        <div id="checkout-error">
          <Alert tone="error" title="We couldn’t continue to payment">
            {[general, errors.plan, errors.license].filter(Boolean).join(" ") || state.message}
          </Alert>
        </div>
      ) : null}

      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        readOnly={emailLocked}
        defaultValue={state?.values.email ?? defaultEmail}
        error={errors.email}
        hint={
          emailLocked
            ? "The license goes to your signed-in account."
            : "We send the license key here, and you sign in with it to manage the license."
        }
      />
      <Field
        label="Company"
        name="company"
        autoComplete="organization"
        optional
        maxLength={200}
        defaultValue={state?.values.company ?? ""}
        error={errors.company}
      />

      <SubmitButton size="lg" fullWidth trailingIcon={<ArrowRightIcon />}>
        Continue to payment
      </SubmitButton>
      <p className="flex items-center justify-center gap-1.5 text-center text-xs text-slate-600">
        <LockIcon className="size-3.5" />
        {testMode ? "Test mode: no card is charged." : "Secure payment with Stripe. Cancel any time before renewal."}
      </p>
    </form>
  );
}
