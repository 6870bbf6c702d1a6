"use client";

import { PLAN_IDS, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { useActionState, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { CopyButton } from "@/components/ui/copy-button";
import { Field } from "@/components/ui/field";
import { KeyIcon } from "@/components/ui/icons";
import { SubmitButton } from "@/components/ui/submit-button";
import { ActionAlert, type StaffActionResult } from "./action-result";

type Action = (prev: StaffActionResult, form: FormData) => Promise<StaffActionResult>;

const nf = new Intl.NumberFormat("en-US");

/** Issue a license with optional custom limits; the key is shown once, with a copy button. */
export function IssueLicenseForm({ action }: { action: Action }) {
  const [result, formAction] = useActionState(action, null);
  const [plan, setPlan] = useState<PlanId>("enterprise");
  const [dismissed, setDismissed] = useState<StaffActionResult>(null);
  const defaults = PLANS[plan];

  const current = result === dismissed ? null : result;
  const err = (name: string) => (current && !current.ok ? current.fields?.[name] : undefined);
  const sent = (name: string) => (current && !current.ok ? current.values?.[name] : undefined);
  if (current?.ok && current.licenseKey) {
    return (
      <div className="space-y-5">
        <Alert tone="success" title={current.message} />
        <div className="rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200">
          <p id="issued-key-label" className="text-sm font-medium text-slate-800">
            License key
          </p>
          <div className="mt-2 flex flex-wrap items-center gap-3">
            <code className="rounded-lg bg-white px-3 py-2 font-mono text-sm font-semibold sm:text-base tracking-wide break-all text-slate-900 ring-1 ring-slate-200">
              {current.licenseKey}
            </code>
            <CopyButton text={current.licenseKey} label="Copy license key" />
          </div>
        </div>
        <Alert tone="warning" announce="none" title="Copy it now: this is the only time the key is shown here.">
          The database keeps only a hash and a ciphertext; the customer can reveal it again from their Admin Panel.
        </Alert>
        <div className="flex flex-wrap gap-3">
          {current.licenseId ? <Button href={`/staff/licenses/${current.licenseId}`}>Open the license</Button> : null}
          <Button variant="secondary" onClick={() => setDismissed(result)}>
            Issue another
          </Button>
        </div>
      </div>
    );
  }

  return (
    <form action={formAction} className="space-y-6" noValidate>
      <fieldset>
        <legend className="text-sm font-medium text-slate-800">Plan</legend>
        <div className="mt-2 grid gap-2 sm:grid-cols-4">
          {PLAN_IDS.map((id) => (
            <label
              key={id}
              className={cn(
                "flex cursor-pointer flex-col rounded-xl p-3 ring-1 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-600",
                plan === id ? "bg-brand-50 ring-2 ring-brand-600" : "bg-white ring-slate-300 hover:bg-slate-50",
              )}
            >
              <span className="flex items-center gap-2">
                <input
                  type="radio"
                  name="plan"
                  value={id}
                  checked={plan === id}
                  onChange={() => setPlan(id)}
                  className="size-4 accent-brand-600"
                />
                <span className="text-sm font-semibold text-slate-900">{PLANS[id].name}</span>
              </span>
              <span className="mt-1 pl-6 text-xs text-slate-600">
                {id === "trial" ? "Free" : `${nf.format(PLANS[id].priceCents / 100)} USD / year`}
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      <div className="grid gap-4 sm:grid-cols-2">
        <Field
          name="email"
          type="email"
          label="Customer email"
          required
          autoComplete="off"
          defaultValue={sent("email")}
          error={err("email")}
        />
        <Field
          name="company"
          label="Company"
          optional
          maxLength={200}
          defaultValue={sent("company")}
          error={err("company")}
        />
        <Field
          key={`days-${plan}`}
          name="days"
          type="number"
          inputMode="numeric"
          label="Valid for (days)"
          min={1}
          max={3650}
          required
          defaultValue={sent("days") ?? defaults.durationDays}
          error={err("days")}
          hint="From today."
        />
      </div>

      <fieldset>
        <legend className="text-sm font-medium text-slate-800">Custom limits</legend>
        <p className="mt-0.5 text-xs text-slate-600">Leave a field empty to use the {defaults.name} plan's default.</p>
        <div className="mt-3 grid gap-4 sm:grid-cols-3">
          {(
            [
              ["maxClients", "Max clients"],
              ["maxTicketsPerMonth", "Max tickets / month"],
              ["maxActivations", "Max activations"],
            ] as const
          ).map(([name, label]) => (
            <Field
              key={name}
              name={name}
              label={label}
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              placeholder={nf.format(defaults.limits[name])}
              defaultValue={sent(name)}
              error={err(name)}
            />
          ))}
        </div>
      </fieldset>

      <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 pt-5">
        <SubmitButton icon={<KeyIcon />}>Issue license</SubmitButton>
        <p className="text-xs text-slate-500">
          The account for this email is created if needed, so the customer can sign in and see it.
        </p>
      </div>
      <div aria-live="polite">
        <ActionAlert result={current} />
      </div>
    </form>
  );
}
