"use client";

import { useEffect } from "react";
import { Button } from "@/components/ui/button";
import { ErrorIcon } from "@/components/ui/icons";

/** Anything a back-office page throws: a calm message and the digest, never a stack trace. */
export default function StaffError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest =
    typeof error === "object" && error !== null && "digest" in error && typeof error.digest === "string"
      ? error.digest
      : null;

  useEffect(() => {
    console.error(error);
  }, [error]);

  return (
    <div className="flex flex-col items-center rounded-2xl bg-white px-6 py-16 text-center shadow-card ring-1 ring-slate-200">
      <span className="flex size-12 items-center justify-center rounded-full bg-red-50 text-red-600 ring-1 ring-red-100">
        <ErrorIcon className="size-6" />
      </span>
      <div role="alert" className="mt-5">
        <h1 className="text-2xl font-bold">This back-office page didn’t load</h1>
        <p className="mx-auto mt-3 max-w-md text-slate-600">
          Nothing was changed. This is usually temporary (the database may be restarting); try again in a moment.
        </p>
        <p className="mt-3 text-xs text-slate-500">
          Code: <code className="font-mono">INTERNAL</code>
          {digest ? (
            <>
              {" "}
              · Reference: <code className="font-mono">{digest}</code>
            </>
          ) : null}
        </p>
      </div>
      <div className="mt-8 flex flex-col gap-3 sm:flex-row">
        <Button onClick={() => retry()}>Try again</Button>
        <Button href="/staff" variant="secondary">
          Back to the overview
        </Button>
      </div>
    </div>
  );
}
