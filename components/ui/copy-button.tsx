"use client";

import { useEffect, useRef, useState } from "react";
import { cn } from "./cn";
import { CheckIcon, CopyIcon } from "./icons";

export type CopyButtonProps = {
  /** The text put on the clipboard. */
  text: string;
  /** Accessible name, e.g. "Copy license key" (keep the word "Copy" in it). */
  label?: string;
  /** Show the visible word "Copy" next to the icon (default true). */
  showText?: boolean;
  className?: string;
};

/** Copies `text` and announces "Copied" (or a failure) through an aria-live region. */
export function CopyButton({ text, label = "Copy", showText = true, className }: CopyButtonProps) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  async function copy() {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      // Fallback for non-secure contexts (plain http on a LAN, older browsers).
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
      area.remove();
    }
    setState(ok ? "copied" : "failed");
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setState("idle"), 2000);
  }

  // The outcome is said once, by one visible live region next to the button: sighted users and
  // screen readers get the same single "Copied" (the button keeps its name, so focus is not re-announced).
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        onClick={copy}
        aria-label={label}
        title={label}
        className={cn(
          "inline-flex h-8 shrink-0 items-center gap-1.5 rounded-md bg-white px-2.5 text-xs font-semibold text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 transition-colors hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600",
          state === "copied" && "text-emerald-700 ring-emerald-300",
          className,
        )}
      >
        {state === "copied" ? <CheckIcon className="size-4" /> : <CopyIcon className="size-4" />}
        {showText ? <span aria-hidden="true">Copy</span> : null}
      </button>
      <span
        role="status"
        aria-live="polite"
        className={cn("text-xs font-medium", state === "failed" ? "text-red-700" : "text-emerald-700")}
      >
        {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text and copy it manually" : ""}
      </span>
    </span>
  );
}
