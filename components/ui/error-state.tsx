"use client";

import { useEffect } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ErrorIcon } from "@/components/ui/icons";

export type ErrorBoundaryProps = { error: unknown; retry: () => void };

/** What every error boundary shows: a calm message, a retry, a way back and the digest, never a stack trace. */
export function ErrorState({
  error,
  retry,
  title,
  message,
  back,
  framed = false,
}: ErrorBoundaryProps & { title: string; message: string; back: { href: string; label: string }; framed?: boolean }) {
  const digest =
    typeof error === "object" && error !== null && "digest" in error && typeof error.digest === "string"
      ? error.digest
      : null;

  useEffect(() => {
    console.error(error);
  }, [error]);

  return (
    <div
      className={cn(
        "flex flex-col items-center text-center",
        framed ? "rounded-2xl bg-white px-6 py-16 shadow-card ring-1 ring-slate-200" : "container-page py-24 sm:py-32",
      )}
    >
      <span className="flex size-12 items-center justify-center rounded-full bg-red-50 text-red-600 ring-1 ring-red-100">
        <ErrorIcon className="size-6" />
      </span>
      <div role="alert" className="mt-5">
        <h1 className={framed ? "text-2xl font-bold" : "text-3xl font-bold sm:text-4xl"}>{title}</h1>
        <p className="mx-auto mt-3 max-w-md text-slate-600">{message}</p>
      </div>
      {digest ? (
        <p className="mt-3 text-xs text-slate-500">
          Reference: <code className="font-mono">{digest}</code>
        </p>
      ) : null}
      <div className="mt-8 flex flex-col gap-3 sm:flex-row">
        <Button onClick={() => retry()}>Try again</Button>
        <Button href={back.href} variant="secondary">
          {back.label}
        </Button>
      </div>
    </div>
  );
}
