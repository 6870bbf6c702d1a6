"use client";

import { useActionState, useId, useState } from "react";
import { Alert } from "../ui/alert";
import { Button, buttonClasses } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { CloudOffIcon } from "../ui/icons";
import { ActionError } from "./action-error";

/** What the two air-gapped actions answer (Admin Panel and back office alike). */
export type AirGappedResult = {
  ok: boolean;
  message: string;
  code?: string;
  /** After a request file: where the license file downloads from. */
  download?: { href: string; fileName: string };
} | null;

/** A request file is at most 16 KiB (docs/AIR-GAPPED.md); anything larger is the wrong file. */
const REQUEST_FILE_MAX_BYTES = 16 * 1024;

export type AirGappedAction = (prev: AirGappedResult, formData: FormData) => Promise<AirGappedResult>;

export type AirGappedPanelProps = {
  /** Receives `request` (the uploaded file). */
  issueAction: AirGappedAction;
  /** Receives `code` (the pasted deactivation code). */
  deactivateAction: AirGappedAction;
  /** Who reads this: the account's words or the back office's. */
  audience?: "account" | "staff";
};

function Outcome({ state, failedTitle, id }: { state: AirGappedResult; failedTitle: string; id: string }) {
  return (
    <>
      {state && !state.ok ? (
        <ActionError id={id} title={failedTitle} message={state.message} code={state.code} />
      ) : null}
      <div role="status" aria-live="polite">
        {state?.ok ? (
          <Alert tone="success" announce="none" title={state.download ? "License file ready" : "Slot freed"}>
            <p>{state.message}</p>
            {state.download ? (
              <a
                href={state.download.href}
                download={state.download.fileName}
                className={buttonClasses({ size: "sm", className: "mt-3" })}
              >
                Download license file
              </a>
            ) : null}
          </Alert>
        ) : null}
      </div>
    </>
  );
}

/**
 * Air-gapped installations (docs/AIR-GAPPED.md): upload the request file an installation wrote
 * and download its license file; enter the code an installation printed when it deactivated.
 */
export function AirGappedPanel({ issueAction, deactivateAction, audience = "account" }: AirGappedPanelProps) {
  const [issued, issue, issuing] = useActionState<AirGappedResult, FormData>(issueAction, null);
  const [freed, free, freeing] = useActionState<AirGappedResult, FormData>(deactivateAction, null);
  const uid = useId();
  const headingId = `${uid}-heading`;
  // Said before anything is sent: a wrong (large) file never reaches the server.
  const [wrongFile, setWrongFile] = useState<string | null>(null);
  const checkFile = (file: File | undefined) =>
    setWrongFile(
      file && file.size > REQUEST_FILE_MAX_BYTES
        ? `${file.name} is ${Math.ceil(file.size / 1024)} KiB: an activation request file is at most 16 KiB. Choose the file tz-license offline-request wrote.`
        : null,
    );

  return (
    <Card as="section" aria-labelledby={headingId} id="air-gapped" className="scroll-mt-24">
      <CardHeader
        id={headingId}
        title="Air-gapped installations"
        description={
          audience === "account"
            ? "For TicketZero AI servers that can never reach the license server. The installation writes a request file; you upload it here and copy the license file back. It counts as one of the license’s installations."
            : "Issue a license file for a customer’s request file, or free an air-gapped installation’s slot with its deactivation code. Counted and audited like any activation."
        }
      />
      <div className="grid grid-cols-1 gap-8 lg:grid-cols-2">
        <form
          action={issue}
          onSubmit={(event) => {
            if (wrongFile) event.preventDefault();
          }}
          className="min-w-0 space-y-3"
        >
          <h3 className="font-semibold text-slate-900">1. License an installation</h3>
          <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-600">
            <li>
              On the installation, run <code className="rounded bg-slate-100 px-1">tz-license offline-request</code>.
            </li>
            <li>Upload the request file it wrote below, then download the license file.</li>
            <li>
              On the installation, run{" "}
              <code className="rounded bg-slate-100 px-1 break-all">tz-license offline-import &lt;file&gt;</code>.
            </li>
          </ol>
          <label htmlFor={`${uid}-request`} className="block text-sm font-medium text-slate-800">
            Activation request file
          </label>
          <input
            id={`${uid}-request`}
            name="request"
            type="file"
            required
            accept=".json,application/json"
            onChange={(event) => checkFile(event.currentTarget.files?.[0])}
            aria-invalid={wrongFile ? true : undefined}
            aria-describedby={wrongFile ? `${uid}-wrong-file` : issued && !issued.ok ? `${uid}-issue-error` : undefined}
            className="block w-full min-w-0 text-sm text-slate-700 file:mr-3 file:rounded-lg file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:font-semibold file:text-slate-800 hover:file:bg-slate-200"
          />
          {wrongFile ? (
            <div id={`${uid}-wrong-file`}>
              <Alert tone="error" title="That is not a request file">
                <p>{wrongFile}</p>
              </Alert>
            </div>
          ) : (
            <Outcome state={issued} failedTitle="No license file issued" id={`${uid}-issue-error`} />
          )}
          <Button type="submit" pending={issuing} icon={<CloudOffIcon />} className="w-full sm:w-auto">
            Create license file
          </Button>
        </form>

        <form action={free} className="min-w-0 space-y-3">
          <h3 className="font-semibold text-slate-900">2. Free an installation’s slot</h3>
          <p className="text-sm text-slate-600">
            On the installation, run <code className="rounded bg-slate-100 px-1">tz-license offline-deactivate</code>.
            It deletes its license file and prints a code starting with <code>TZDC1.</code>; paste it here and the slot
            is free at once.
          </p>
          <label htmlFor={`${uid}-code`} className="block text-sm font-medium text-slate-800">
            Deactivation code
          </label>
          <textarea
            id={`${uid}-code`}
            name="code"
            required
            rows={3}
            maxLength={4096}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={freed && !freed.ok ? `${uid}-code-error` : undefined}
            className="block w-full rounded-lg border-0 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-brand-600"
          />
          <Outcome state={freed} failedTitle="Slot not freed" id={`${uid}-code-error`} />
          <Button type="submit" variant="secondary" pending={freeing} className="w-full sm:w-auto">
            Free the slot
          </Button>
        </form>
      </div>
    </Card>
  );
}
