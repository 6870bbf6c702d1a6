"use client";

import { type ReactNode, useActionState, useId, useState } from "react";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { cn } from "../ui/cn";
import { CopyButton } from "../ui/copy-button";
import { Field } from "../ui/field";
import { ClockIcon } from "../ui/icons";
import { StatusIndicator } from "../ui/status-indicator";
import { ActionError } from "./action-error";
import type { ActionResult, FormAction } from "./action-result";
import { formatDate, formatNumber } from "./format";

export type StartTrialFormProps = {
  /** Server action: receives `email`; returns an ActionResult, with `licenseKey` on success. */
  action: FormAction;
  /** Prefill the email (e.g. the signed-in admin's address). */
  defaultEmail?: string;
  /** Where to activate the new key (shown as a link after success), e.g. "/admin/license". */
  activateHref?: string;
  /** Shown instead of the form when the address has had its trial, unless this form just started it. */
  usedNotice?: ReactNode;
  className?: string;
};

/** "Email" field and a "Start 30-Day Trial" button; on success shows the new key with a Copy button. */
export function StartTrialForm({
  action,
  defaultEmail = "",
  activateHref,
  usedNotice,
  className,
}: StartTrialFormProps) {
  const [state, formAction, pending] = useActionState<ActionResult, FormData>(action, null);
  const [email, setEmail] = useState(defaultEmail);
  const uid = useId();
  const errorId = `${uid}-error`;
  const failed = state !== null && !state.ok;
  // After this form started the trial the page re-renders with the trial used: keep showing the new key.
  if (usedNotice && !state?.ok) return <div className={className}>{usedNotice}</div>;

  return (
    <div className={cn("space-y-4", className)}>
      <form action={formAction} className="space-y-4">
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
          placeholder="you@your-msp.com"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          invalid={failed}
          describedBy={failed ? errorId : undefined}
          hint="One free trial per email address. We’ll also email you the key."
        />
        {failed ? (
          <ActionError id={errorId} title="Couldn’t start the trial" message={state.message} code={state.code} />
        ) : null}
        <Button type="submit" pending={pending} icon={<ClockIcon />} className="w-full sm:w-auto">
          Start 30-Day Trial
        </Button>
      </form>

      <div role="status" aria-live="polite">
        {state?.ok ? (
          <Alert tone="success" announce="none" title="Your 30-day trial is ready">
            <p>{state.message}</p>
            {state.license ? (
              <div className="mt-3 flex flex-wrap items-center gap-x-3 gap-y-2 text-xs text-emerald-900">
                <StatusIndicator status={state.license.status} size="sm" />
                <span>
                  {state.license.planName}:{" "}
                  <span className="tabular font-semibold">{formatNumber(state.license.maxTicketsPerMonth)}</span>{" "}
                  tickets a month,{" "}
                  <span className="tabular font-semibold">{formatNumber(state.license.maxClients)}</span> clients, until{" "}
                  {formatDate(state.license.expiresAt)}
                </span>
              </div>
            ) : null}
            {state.licenseKey ? (
              <div className="mt-3 space-y-2">
                <p className="text-xs font-medium text-emerald-900">Your trial license key</p>
                <div className="flex flex-wrap items-center gap-2 rounded-lg bg-white p-2 pl-3 ring-1 ring-emerald-200">
                  <code
                    className="min-w-0 flex-1 font-mono text-sm font-semibold tracking-wide break-all text-slate-900"
                    data-testid="trial-license-key"
                  >
                    {state.licenseKey}
                  </code>
                  <CopyButton text={state.licenseKey} label="Copy license key" />
                </div>
                <p className="text-xs text-emerald-900">
                  Keep it safe: it is shown once here and sent to your email.
                  {activateHref ? (
                    <>
                      {" "}
                      <a href={activateHref} className="font-semibold underline underline-offset-2">
                        Activate it now
                      </a>
                      .
                    </>
                  ) : null}
                </p>
              </div>
            ) : null}
          </Alert>
        ) : null}
      </div>
    </div>
  );
}
