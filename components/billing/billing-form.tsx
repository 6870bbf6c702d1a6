"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { SubmitButton } from "@/components/ui/submit-button";

type State = { ok: boolean; message: string } | null;

/** One billing action: a button (with hidden fields), its pending state and what happened. */
export function BillingForm({
  action,
  fields,
  label,
  variant = "secondary",
  confirm,
}: {
  action: (prev: State, formData: FormData) => Promise<State>;
  fields: Record<string, string>;
  label: string;
  variant?: "primary" | "secondary" | "danger";
  /** Asked before destructive changes. */
  confirm?: string;
}) {
  const [state, formAction] = useActionState<State, FormData>(action, null);
  return (
    <form
      action={formAction}
      className="space-y-3"
      onSubmit={(event) => {
        if (confirm && !window.confirm(confirm)) event.preventDefault();
      }}
    >
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <SubmitButton size="sm" variant={variant}>
        {label}
      </SubmitButton>
      {state ? <Alert tone={state.ok ? "success" : "error"}>{state.message}</Alert> : null}
    </form>
  );
}
