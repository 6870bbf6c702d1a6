"use client";

import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { ActionAlert, type StaffActionResult } from "./action-result";

type Action = (prev: StaffActionResult, form: FormData) => Promise<StaffActionResult>;

/** Adds days to the expiry (from today when it has already passed). */
export function ExtendForm({ action, expired }: { action: Action; expired: boolean }) {
  const [result, formAction] = useActionState(action, null);
  return (
    <form action={formAction} className="space-y-3" noValidate>
      <div className="flex flex-wrap items-end gap-3">
        <Field
          name="days"
          label="Extend by (days)"
          type="number"
          inputMode="numeric"
          min={1}
          max={3650}
          step={1}
          required
          defaultValue={(result && !result.ok ? result.values?.days : undefined) ?? 30}
          className="w-40"
          invalid={result?.ok === false}
        />
        <SubmitButton variant="secondary">Extend</SubmitButton>
      </div>
      <p className="text-xs text-slate-500">
        {expired ? "This license has expired: days count from today." : "Days are added to the current expiry date."}
      </p>
      <div aria-live="polite">
        <ActionAlert result={result} />
      </div>
    </form>
  );
}
