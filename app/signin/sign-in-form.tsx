"use client";

import { useActionState, useId } from "react";
import type { ActionResult } from "@/components/license/action-result";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { ArrowRightIcon } from "@/components/ui/icons";
import { requestSignInLink } from "./actions";

export function SignInForm({ defaultEmail, callbackUrl }: { defaultEmail: string; callbackUrl: string }) {
  const [state, formAction, pending] = useActionState<ActionResult, FormData>(requestSignInLink, null);
  const uid = useId();
  const errorId = `${uid}-error`;
  const failed = state !== null && !state.ok;
  return (
    <form action={formAction} className="space-y-5">
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <Field
        id={`${uid}-email`}
        label="Email"
        name="email"
        type="email"
        inputMode="email"
        autoComplete="email"
        spellCheck={false}
        required
        maxLength={254}
        defaultValue={defaultEmail}
        placeholder="you@your-msp.com"
        invalid={failed}
        describedBy={failed ? errorId : undefined}
        hint="Use the address you bought or started your trial with."
      />
      {failed ? (
        <div id={errorId}>
          <Alert tone="error">{state.message}</Alert>
        </div>
      ) : null}
      <Button type="submit" pending={pending} fullWidth size="lg" trailingIcon={<ArrowRightIcon />}>
        Email me a sign-in link
      </Button>
    </form>
  );
}
