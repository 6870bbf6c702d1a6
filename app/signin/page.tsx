import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/card";
import { ShieldIcon } from "@/components/ui/icons";
import { sessionUser } from "@/lib/auth/session";
import { safeCallbackPath } from "../admin/_lib/session";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in", robots: { index: false } };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** next-auth sends people back here with ?error=… when a link fails. */
const ERRORS: Record<string, string> = {
  Verification:
    "That sign-in link has expired or has already been used. Links work once and for 15 minutes: ask for a new one below.",
  EmailSignin: "We couldn’t send the sign-in link. Check the address and try again.",
  AccessDenied: "That account can’t sign in here.",
};

export default async function SignInPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const callbackUrl = safeCallbackPath(first(params.callbackUrl));
  if (await sessionUser()) redirect(callbackUrl);
  const email = (first(params.email) ?? "").slice(0, 254);
  const errorCode = first(params.error);
  const error = errorCode ? (ERRORS[errorCode] ?? "Sign-in didn’t work. Ask for a new link below.") : null;

  return (
    <div className="container-page flex justify-center py-14 sm:py-20">
      <div className="w-full max-w-md">
        <div className="text-center">
          <span className="mx-auto flex size-12 items-center justify-center rounded-xl bg-brand-50 text-brand-700 ring-1 ring-brand-100">
            <ShieldIcon className="size-6" />
          </span>
          <h1 className="mt-4 text-3xl font-bold">Sign in</h1>
          <p className="mt-2 text-slate-600">
            We’ll email you a link that signs you in to the Admin Panel. No password needed.
          </p>
        </div>
        <Card className="mt-8" padding="lg">
          {error ? (
            <Alert tone="error" className="mb-5">
              {error}
            </Alert>
          ) : null}
          <SignInForm defaultEmail={email} callbackUrl={callbackUrl} />
        </Card>
        <p className="mt-6 text-center text-sm text-slate-600">
          No account yet? An account is created when you{" "}
          <a href="/plans" className="font-semibold text-brand-700 underline-offset-2 hover:underline">
            buy a license
          </a>{" "}
          or{" "}
          <a href="/trial" className="font-semibold text-brand-700 underline-offset-2 hover:underline">
            start a free trial
          </a>
          .
        </p>
      </div>
    </div>
  );
}
