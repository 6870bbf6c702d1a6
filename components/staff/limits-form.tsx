"use client";

import type { PlanLimits } from "@ticketzero/core/license/plans";
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { ActionAlert, type StaffActionResult } from "./action-result";

type Action = (prev: StaffActionResult, form: FormData) => Promise<StaffActionResult>;

const FIELDS: { name: keyof PlanLimits; label: string; hint: string }[] = [
  { name: "maxClients", label: "Max clients", hint: "Clients the installation may manage." },
  { name: "maxTicketsPerMonth", label: "Max tickets / month", hint: "Refused above this each UTC month." },
  { name: "maxActivations", label: "Max activations", hint: "Installations; lowering it cuts no one off." },
];

/** Custom (enterprise) limits for one license; the plan's defaults are shown as hints. */
export function LimitsForm({
  action,
  current,
  planDefaults,
  activations,
  churn,
}: {
  action: Action;
  current: PlanLimits;
  planDefaults: PlanLimits;
  activations: number;
  /** The license's own swap allowance and heartbeat window (null: the defaults, shown as hints). */
  churn: { swapsPer30Days: number | null; heartbeatWindowDays: number | null; defaultHeartbeatDays: number };
}) {
  const [result, formAction] = useActionState(action, null);
  const fieldError = (name: string) => (result && !result.ok ? result.fields?.[name] : undefined);
  return (
    <form action={formAction} className="space-y-5" noValidate>
      <div className="grid gap-4 sm:grid-cols-3">
        {FIELDS.map((f) => (
          <Field
            key={f.name}
            name={f.name}
            label={f.label}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            required
            defaultValue={(result && !result.ok ? result.values?.[f.name] : undefined) ?? current[f.name]}
            error={fieldError(f.name)}
            hint={`${f.hint} Plan default ${planDefaults[f.name].toLocaleString("en-US")}.${
              f.name === "maxActivations" ? ` In use: ${activations}.` : ""
            }`}
          />
        ))}
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        {[
          {
            name: "swapsPer30Days" as const,
            label: "Swaps per 30 days",
            min: 0,
            hint: `Deactivations that free a slot at once; past them a slot frees when its certificate expires. Blank: one per activation (${current.maxActivations}).`,
          },
          {
            name: "heartbeatWindowDays" as const,
            label: "Heartbeat window (days)",
            min: 1,
            hint: `An installation silent this long is deactivated automatically. Blank: ${churn.defaultHeartbeatDays} days.`,
          },
        ].map((f) => (
          <Field
            key={f.name}
            name={f.name}
            label={f.label}
            type="number"
            inputMode="numeric"
            min={f.min}
            step={1}
            optional
            defaultValue={(result && !result.ok ? result.values?.[f.name] : undefined) ?? churn[f.name] ?? ""}
            error={fieldError(f.name)}
            hint={f.hint}
          />
        ))}
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <SubmitButton>Save limits</SubmitButton>
        <p className="text-xs text-slate-500">Installations see the new limits on their next status check.</p>
      </div>
      <div aria-live="polite">
        <ActionAlert result={result} />
      </div>
    </form>
  );
}
