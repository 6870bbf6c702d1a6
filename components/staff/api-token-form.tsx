"use client";

import { useActionState, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { CopyButton } from "@/components/ui/copy-button";
import { Field } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { ActionAlert, type StaffActionResult } from "./action-result";

type Action = (prev: StaffActionResult, form: FormData) => Promise<StaffActionResult>;

const SCOPES = [
  { id: "read", name: "Read", hint: "Search licenses, read activations, usage and the audit log." },
  { id: "write", name: "Read and write", hint: "Also issue, suspend, reinstate, revoke, extend and set limits." },
] as const;

/** Creates a staff API token; the token is shown once, with a copy button. */
export function ApiTokenForm({ action }: { action: Action }) {
  const [result, formAction] = useActionState(action, null);
  const [scope, setScope] = useState<"read" | "write">("read");
  const [dismissed, setDismissed] = useState<StaffActionResult>(null);
  const current = result === dismissed ? null : result;
  const err = (name: string) => (current && !current.ok ? current.fields?.[name] : undefined);

  if (current?.ok && current.secret) {
    return (
      <div className="space-y-5">
        <Alert tone="success" title={current.message} />
        <div className="rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200">
          <p className="text-sm font-medium text-slate-800">API token</p>
          <div className="mt-2 flex flex-wrap items-center gap-3">
            <code
              data-testid="new-api-token"
              className="rounded-lg bg-white px-3 py-2 font-mono text-sm font-semibold break-all text-slate-900 ring-1 ring-slate-200"
            >
              {current.secret}
            </code>
            <CopyButton text={current.secret} label="Copy API token" />
          </div>
          <p className="mt-3 text-sm text-slate-600">
            Send it as <code className="font-mono">Authorization: Bearer …</code> to{" "}
            <code className="font-mono">/api/staff/v1</code>.
          </p>
        </div>
        <Alert tone="warning" announce="none" title="Copy it now: this is the only time the token is shown.">
          The portal keeps only a hash of it. If it is lost, revoke it and create another.
        </Alert>
        <Button variant="secondary" onClick={() => setDismissed(result)}>
          Create another
        </Button>
      </div>
    );
  }

  return (
    <form action={formAction} className="space-y-5" noValidate>
      <Field
        name="name"
        label="Name"
        required
        maxLength={100}
        autoComplete="off"
        placeholder="e.g. CRM sync"
        hint="What uses it, so that you know what breaks when you revoke it."
        defaultValue={current && !current.ok ? current.values?.name : undefined}
        error={err("name")}
      />
      <fieldset>
        <legend className="text-sm font-medium text-slate-800">Access</legend>
        <div className="mt-2 grid gap-2 sm:grid-cols-2">
          {SCOPES.map((s) => (
            <label
              key={s.id}
              className={cn(
                "flex cursor-pointer flex-col rounded-xl p-3 ring-1 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-600",
                scope === s.id ? "bg-brand-50 ring-2 ring-brand-600" : "bg-white ring-slate-300 hover:bg-slate-50",
              )}
            >
              <span className="flex items-center gap-2">
                <input
                  type="radio"
                  name="scope"
                  value={s.id}
                  checked={scope === s.id}
                  onChange={() => setScope(s.id)}
                  className="size-4 accent-brand-600"
                />
                <span className="text-sm font-semibold text-slate-900">{s.name}</span>
              </span>
              <span className="mt-1 pl-6 text-xs text-slate-600">{s.hint}</span>
            </label>
          ))}
        </div>
        {err("scope") ? <p className="mt-1.5 text-sm text-red-700">{err("scope")}</p> : null}
      </fieldset>
      <SubmitButton>Create token</SubmitButton>
      <div aria-live="polite">{current && !current.ok ? <ActionAlert result={current} /> : null}</div>
    </form>
  );
}
