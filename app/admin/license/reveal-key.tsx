"use client";

import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { KeyIcon } from "@/components/ui/icons";
import { revealKeyAction } from "./actions";

/** Fetches the full key only when asked, shows it with Copy, and hides it again. */
export function RevealKey({ licenseId, label = "Reveal key" }: { licenseId: string; label?: string }) {
  const [key, setKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  if (key) {
    return (
      <div className="flex w-full flex-wrap items-center gap-2 rounded-lg bg-white p-1.5 pl-3 ring-1 ring-slate-200">
        <span className="sr-only">Full license key:</span>
        <code
          data-testid="revealed-license-key"
          className="min-w-0 flex-1 font-mono text-sm font-semibold break-all text-slate-900"
        >
          {key}
        </code>
        <CopyButton text={key} label="Copy license key" />
        <Button variant="ghost" size="sm" onClick={() => setKey(null)}>
          Hide
        </Button>
      </div>
    );
  }
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button
        variant="secondary"
        size="sm"
        icon={<KeyIcon />}
        pending={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await revealKeyAction(licenseId);
            if (result.ok) {
              setError(null);
              setKey(result.key);
            } else setError(result.message);
          })
        }
      >
        {label}
      </Button>
      <span role="status" className="text-xs text-red-700">
        {error}
      </span>
    </div>
  );
}
