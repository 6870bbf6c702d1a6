"use client";

import { useActionState, useEffect, useId, useState } from "react";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { cn } from "../ui/cn";
import { Field } from "../ui/field";
import { KeyIcon } from "../ui/icons";
import { ActionError } from "./action-error";
import type { ActionResult, FormAction } from "./action-result";

export type ActivateLicenseFormProps = {
  /** Server action: receives `licenseKey` and optional `instanceName`; returns an ActionResult. */
  action: FormAction;
  /** Show the optional "Installation name" field (default true). */
  showInstanceName?: boolean;
  /** Prefill the key (e.g. from a query string). */
  defaultLicenseKey?: string;
  className?: string;
};

/** "License key" field and an "Activate License" button, with success/error feedback. */
export function ActivateLicenseForm({
  action,
  showInstanceName = true,
  defaultLicenseKey = "",
  className,
}: ActivateLicenseFormProps) {
  const [state, formAction, pending] = useActionState<ActionResult, FormData>(action, null);
  const [licenseKey, setLicenseKey] = useState(defaultLicenseKey);
  const [instanceName, setInstanceName] = useState("");
  const uid = useId();
  const errorId = `${uid}-error`;

  // Clear the inputs after a successful activation; keep them on error so the user can fix a typo.
  useEffect(() => {
    if (state?.ok) {
      setLicenseKey("");
      setInstanceName("");
    }
  }, [state]);

  const failed = state !== null && !state.ok;

  return (
    <form action={formAction} className={cn("space-y-4", className)} noValidate={false}>
      <Field
        id={`${uid}-key`}
        label="License key"
        name="licenseKey"
        value={licenseKey}
        onChange={(e) => setLicenseKey(e.target.value)}
        placeholder="TZ-PRO-XXXX-XXXX-XXXX-XXXX"
        autoComplete="off"
        autoCapitalize="characters"
        autoCorrect="off"
        spellCheck={false}
        required
        maxLength={64}
        invalid={failed}
        describedBy={failed ? errorId : undefined}
        hint="Paid keys look like TZ-PRO-XXXX-XXXX-XXXX-XXXX; trial keys like TZ-TRIAL-XXXXXXXX."
        inputClassName="font-mono uppercase tracking-wide placeholder:normal-case placeholder:tracking-normal"
      />
      {showInstanceName ? (
        <Field
          id={`${uid}-name`}
          label="Installation name"
          name="instanceName"
          optional
          value={instanceName}
          onChange={(e) => setInstanceName(e.target.value)}
          placeholder="e.g. Primary helpdesk server"
          autoComplete="off"
          maxLength={100}
        />
      ) : null}

      {failed ? <ActionError id={errorId} title="Activation failed" message={state.message} code={state.code} /> : null}
      <div role="status" aria-live="polite">
        {state?.ok ? (
          <Alert tone="success" announce="none" title="License activated">
            <p>{state.message}</p>
            {state.code ? <p className="mt-1 text-xs">Status: {state.code}</p> : null}
          </Alert>
        ) : null}
      </div>

      <Button type="submit" pending={pending} icon={<KeyIcon />} className="w-full sm:w-auto">
        Activate License
      </Button>
    </form>
  );
}
