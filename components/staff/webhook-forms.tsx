"use client";

import { useActionState, useId, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Field } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { ActionAlert, type StaffActionResult } from "./action-result";

type Action = (prev: StaffActionResult, form: FormData) => Promise<StaffActionResult>;

export type EventGroup = { name: string; events: { type: string; description: string }[] };

/** A signing secret, shown once with a copy button. */
export function SecretOnce({ secret, onDone, doneLabel }: { secret: string; onDone?: () => void; doneLabel?: string }) {
  return (
    <div className="space-y-4">
      <div className="rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200">
        <p id="webhook-secret-label" className="text-sm font-medium text-slate-800">
          Signing secret
        </p>
        <div className="mt-2 flex flex-wrap items-center gap-3">
          <code
            data-testid="webhook-secret"
            className="rounded-lg bg-white px-3 py-2 font-mono text-sm break-all text-slate-900 ring-1 ring-slate-200"
          >
            {secret}
          </code>
          <CopyButton text={secret} label="Copy signing secret" />
        </div>
      </div>
      <Alert tone="warning" announce="none" title="Copy it now: you won't see this secret again.">
        The portal stores it encrypted and never shows it again. Your receiver verifies each request's
        <code className="mx-1 font-mono text-xs">webhook-signature</code>with it (Standard Webhooks). Lost it? Rotate
        the secret.
      </Alert>
      {onDone ? (
        <Button variant="secondary" onClick={onDone}>
          {doneLabel ?? "Done"}
        </Button>
      ) : null}
    </div>
  );
}

/** URL, description, events (grouped, with what each means), enabled. Create or edit. */
export function EndpointForm({
  action,
  groups,
  current,
  submit,
}: {
  action: Action;
  groups: EventGroup[];
  current?: { url: string; description: string; events: string[]; enabled: boolean };
  submit: string;
}) {
  const [result, formAction] = useActionState(action, null);
  const [dismissed, setDismissed] = useState<StaffActionResult>(null);
  const id = useId();
  const shown = result === dismissed ? null : result;
  const err = (name: string) => (shown && !shown.ok ? shown.fields?.[name] : undefined);
  const sent = (name: string) => (shown && !shown.ok ? shown.values?.[name] : undefined);
  const chosen = new Set(sent("events")?.split(",") ?? current?.events ?? []);

  if (shown?.ok && shown.secret) {
    return (
      <div className="space-y-4">
        <Alert tone="success" title={shown.message} />
        <SecretOnce secret={shown.secret} onDone={() => setDismissed(result)} doneLabel="I've copied it" />
        {shown.endpointId ? (
          <Button href={`/staff/webhooks/${shown.endpointId}`} variant="ghost">
            Open the endpoint
          </Button>
        ) : null}
      </div>
    );
  }

  return (
    <form action={formAction} className="space-y-5" noValidate>
      <Field
        id={`${id}-url`}
        name="url"
        type="url"
        label="Endpoint URL"
        required
        inputMode="url"
        autoComplete="off"
        placeholder="https://hooks.example.com/ticketzero"
        maxLength={2048}
        defaultValue={sent("url") ?? current?.url}
        error={err("url")}
        hint="https:// only; private and local addresses are refused."
      />
      <Field
        id={`${id}-description`}
        name="description"
        label="Description"
        optional
        maxLength={500}
        defaultValue={sent("description") ?? current?.description}
        error={err("description")}
      />
      <fieldset aria-describedby={err("events") ? `${id}-events-error` : undefined}>
        <legend className="text-sm font-medium text-slate-800">Events</legend>
        {err("events") ? (
          <p id={`${id}-events-error`} className="mt-1 text-sm text-red-700">
            {err("events")}
          </p>
        ) : null}
        <div className="mt-2 grid gap-4 sm:grid-cols-2">
          {groups.map((group) => (
            <fieldset key={group.name} className="rounded-xl p-3 ring-1 ring-slate-200">
              <legend className="px-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">
                {group.name}
              </legend>
              <ul className="space-y-2">
                {group.events.map((event) => (
                  <li key={event.type}>
                    <label className="flex items-start gap-2.5 text-sm">
                      <input
                        type="checkbox"
                        name="events"
                        value={event.type}
                        defaultChecked={chosen.has(event.type)}
                        className="mt-0.5 size-4 shrink-0 rounded border-slate-300 accent-brand-600"
                      />
                      <span>
                        <code className="font-mono text-xs font-semibold text-slate-900">{event.type}</code>
                        <span className="block text-xs text-slate-600">{event.description}</span>
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
          ))}
        </div>
      </fieldset>
      <label className="flex items-center gap-2.5 text-sm text-slate-800">
        <input
          type="checkbox"
          name="enabled"
          defaultChecked={sent("enabled") ? sent("enabled") === "on" : (current?.enabled ?? true)}
          className="size-4 rounded border-slate-300 accent-brand-600"
        />
        Enabled
      </label>
      <SubmitButton>{submit}</SubmitButton>
      <div aria-live="polite">
        <ActionAlert result={shown} />
      </div>
    </form>
  );
}

/** Enable / disable one endpoint. */
export function EnableToggle({ action, enabled }: { action: Action; enabled: boolean }) {
  const [result, formAction] = useActionState(action, null);
  return (
    <form action={formAction} className="space-y-3">
      <input type="hidden" name="op" value={enabled ? "disable" : "enable"} />
      <SubmitButton size="sm" variant={enabled ? "secondary" : "primary"}>
        {enabled ? "Disable endpoint" : "Enable endpoint"}
      </SubmitButton>
      <div aria-live="polite">
        <ActionAlert result={result} />
      </div>
    </form>
  );
}

/** Rotate the secret or delete the endpoint, behind an "I understand" checkbox (checked again on the server). */
export function ConfirmedEndpointChange({
  action,
  op,
  title,
  description,
  confirmText,
  button,
}: {
  action: Action;
  op: "rotate" | "delete";
  title: string;
  description: string;
  confirmText: string;
  button: string;
}) {
  const [result, formAction] = useActionState(action, null);
  const [dismissed, setDismissed] = useState<StaffActionResult>(null);
  const [confirmed, setConfirmed] = useState(false);
  const id = useId();
  const shown = result === dismissed ? null : result;
  if (shown?.ok && shown.secret) {
    return (
      <div className="space-y-3 rounded-xl p-4 ring-1 ring-slate-200">
        <Alert tone="success" title={shown.message} />
        <SecretOnce secret={shown.secret} onDone={() => setDismissed(result)} doneLabel="I've copied it" />
      </div>
    );
  }
  return (
    <form action={formAction} className="space-y-3 rounded-xl p-4 ring-1 ring-slate-200" aria-labelledby={`${id}-t`}>
      <input type="hidden" name="op" value={op} />
      <div>
        <h3 id={`${id}-t`} className="text-sm font-semibold text-slate-900">
          {title}
        </h3>
        <p className="mt-0.5 text-sm text-slate-600">{description}</p>
      </div>
      <label className="flex items-start gap-2.5 text-sm text-slate-800">
        <input
          type="checkbox"
          name="confirm"
          value="yes"
          checked={confirmed}
          onChange={(e) => setConfirmed(e.target.checked)}
          className="mt-0.5 size-4 rounded border-slate-300 accent-red-600"
        />
        <span>{confirmText}</span>
      </label>
      {/* Not disabled until ticked: the form works without JavaScript, and the server checks the tick. */}
      <SubmitButton variant="danger" size="sm">
        {button}
      </SubmitButton>
      <div aria-live="polite">
        <ActionAlert result={shown} />
      </div>
    </form>
  );
}

/** Replays one delivery (a new delivery of the same event, the same webhook-id). */
export function ReplayButton({ action, deliveryId }: { action: Action; deliveryId: number }) {
  const [result, formAction] = useActionState(action, null);
  return (
    <form action={formAction} className="space-y-2">
      <input type="hidden" name="deliveryId" value={deliveryId} />
      <SubmitButton size="sm" variant="secondary" aria-label={`Replay delivery ${deliveryId}`}>
        Replay
      </SubmitButton>
      <div aria-live="polite">
        <ActionAlert result={result} />
      </div>
    </form>
  );
}
