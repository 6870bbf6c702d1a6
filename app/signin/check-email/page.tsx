import { isOutboxEnabled } from "@ticketzero/core/server/mail";
import type { Metadata } from "next";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { CheckCircleIcon } from "@/components/ui/icons";
import { SIGN_IN_LINK_MINUTES } from "@/lib/auth";

export const metadata: Metadata = { title: "Check your email", robots: { index: false } };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function CheckEmailPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).email;
  const email = (Array.isArray(raw) ? raw[0] : raw)?.trim().slice(0, 254) || null;
  const outbox = isOutboxEnabled();
  return (
    <div className="container-page flex justify-center py-14 sm:py-20">
      <Card className="w-full max-w-md text-center" padding="lg">
        <span className="mx-auto flex size-12 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 ring-1 ring-emerald-100">
          <CheckCircleIcon className="size-6" />
        </span>
        <h1 className="mt-4 text-2xl font-bold">Check your email</h1>
        <p className="mt-3 text-slate-600">
          We sent a sign-in link to{" "}
          {email ? <span className="font-semibold break-all text-slate-900">{email}</span> : "your address"}. Open it on
          this device to sign in. It works once and expires in {SIGN_IN_LINK_MINUTES} minutes.
        </p>
        <p className="mt-2 text-sm text-slate-600">
          Nothing there? Check your spam folder, or{" "}
          <a href="/signin" className="font-semibold text-brand-700 underline-offset-2 hover:underline">
            ask for a new link
          </a>
          .
        </p>
        {outbox ? (
          <Alert tone="info" className="mt-6 text-left" title="Development mode">
            <p>Mail is not sent in this environment; it is kept in the dev outbox.</p>
            <Button
              href={email ? `/dev/outbox?${new URLSearchParams({ to: email })}` : "/dev/outbox"}
              variant="secondary"
              size="sm"
              className="mt-3"
            >
              Open the dev outbox
            </Button>
          </Alert>
        ) : null}
      </Card>
    </div>
  );
}
