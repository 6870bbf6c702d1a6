"use client";

import { useActionState, useId, useState } from "react";
import { Field } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { ActionAlert, type StaffActionResult } from "./action-result";

type Action = (prev: StaffActionResult, form: FormData) => Promise<StaffActionResult>;

function ConfirmedChange({
  action,
  op,
  title,
  description,
  button,
}: {
  action: Action;
  op: "suspend" | "revoke";
  title: string;
  description: string;
  button: string;
}) {
  const [result, formAction] = useActionState(action, null);
  const [confirmed, setConfirmed] = useState(false);
  const id = useId();
  const confirmError = result && !result.ok ? result.fields?.confirm : undefined;
  return (
    <form action={formAction} className="space-y-3 rounded-xl p-4 ring-1 ring-slate-200" aria-labelledby={`${id}-t`}>
      <input type="hidden" name="op" value={op} />
      <div>
        <h3 id={`${id}-t`} className="text-sm font-semibold text-slate-900">
          {title}
        </h3>
        <p className="mt-0.5 text-sm text-slate-600">{description}</p>
      </div>
      <Field
        id={`${id}-reason`}
        name="reason"
        label="Reason"
        optional
        maxLength={500}
        placeholder="Recorded in the audit log"
      />
      <label className="flex items-start gap-2.5 text-sm text-slate-800">
        <input
          type="checkbox"
          name="confirm"
          value="yes"
          checked={confirmed}
          onChange={(e) => setConfirmed(e.target.checked)}
          aria-invalid={confirmError ? true : undefined}
          className="mt-0.5 size-4 rounded border-slate-300 accent-red-600"
        />
        <span>I understand: installations using this key are refused at once.</span>
      </label>
      <SubmitButton variant="danger" size="sm" disabled={!confirmed}>
        {button}
      </SubmitButton>
      <div aria-live="polite">
        <ActionAlert result={result} />
      </div>
    </form>
  );
}

function Reinstate({ action }: { action: Action }) {
  const [result, formAction] = useActionState(action, null);
  return (
    <form action={formAction} className="space-y-3 rounded-xl bg-emerald-50/40 p-4 ring-1 ring-emerald-200">
      <input type="hidden" name="op" value="reinstate" />
      <div>
        <h3 className="text-sm font-semibold text-slate-900">Reinstate</h3>
        <p className="mt-0.5 text-sm text-slate-600">
          Make the license active again; installations work on their next check.
        </p>
      </div>
      <SubmitButton size="sm">Reinstate license</SubmitButton>
      <div aria-live="polite">
        <ActionAlert result={result} />
      </div>
    </form>
  );
}

/** Suspend / revoke (each behind an "I understand" checkbox, checked again on the server) or reinstate. */
export function StateActions({ action, state }: { action: Action; state: string }) {
  return (
    <div className="space-y-4">
      {state === "suspended" || state === "revoked" ? <Reinstate action={action} /> : null}
      {state === "active" ? (
        <ConfirmedChange
          action={action}
          op="suspend"
          title="Suspend"
          description="Temporarily block the key (e.g. unpaid invoice). It can be reinstated."
          button="Suspend license"
        />
      ) : null}
      {state !== "revoked" ? (
        <ConfirmedChange
          action={action}
          op="revoke"
          title="Revoke"
          description="Permanently block the key (fraud, chargeback, leaked key)."
          button="Revoke license"
        />
      ) : null}
    </div>
  );
}
