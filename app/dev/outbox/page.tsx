import { isOutboxEnabled, readOutbox } from "@ticketzero/core/server/mail";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { formatDateTime } from "@/components/license/format";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Field } from "@/components/ui/field";
import { InfoIcon } from "@/components/ui/icons";

export const metadata: Metadata = { title: "Dev outbox", robots: { index: false, follow: false } };
export const dynamic = "force-dynamic";

const LIMIT = 50;
const URL_PATTERN = /(https?:\/\/[^\s<>"']+)/g;

/** The mail text with its links clickable; everything else stays text (React escapes it). */
function linkify(text: string): ReactNode[] {
  return text.split(URL_PATTERN).map((part, i) =>
    i % 2 === 1 ? (
      // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable string
      <a key={i} href={part} className="font-medium break-all text-brand-700 underline underline-offset-2">
        {part}
      </a>
    ) : (
      part
    ),
  );
}

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function OutboxPage({ searchParams }: { searchParams: SearchParams }) {
  if (!isOutboxEnabled()) notFound();
  const raw = (await searchParams).to;
  const to = (Array.isArray(raw) ? raw[0] : raw)?.trim().toLowerCase().slice(0, 254) || "";
  const mails = await readOutbox({ to: to || undefined, limit: LIMIT });

  return (
    <div className="container-page py-10 sm:py-14">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <p className="text-sm font-semibold text-brand-700">Development only</p>
          <h1 className="mt-1 text-3xl font-bold">Dev outbox</h1>
          <p className="mt-2 max-w-2xl text-slate-600">
            Mail this server would have sent: sign-in links, license keys. Newest first, the latest {LIMIT}. This page
            does not exist in production or when SMTP is configured.
          </p>
        </div>
      </div>

      <form method="get" className="mt-6 flex flex-wrap items-end gap-3">
        <Field
          label="Recipient"
          name="to"
          type="email"
          defaultValue={to}
          placeholder="you@your-msp.com"
          className="w-full max-w-xs"
        />
        <Button type="submit" variant="secondary">
          Filter
        </Button>
        {to ? (
          <Button href="/dev/outbox" variant="ghost">
            Show all
          </Button>
        ) : null}
      </form>

      <div className="mt-8 space-y-4">
        {mails.length === 0 ? (
          <EmptyState
            icon={<InfoIcon />}
            level={2}
            title={to ? `No mail to ${to} yet` : "No mail yet"}
            description="Ask for a sign-in link, start a trial or buy a plan, then reload this page."
          />
        ) : (
          <ol className="space-y-4" aria-label="Mails, newest first">
            {mails.map((mail) => (
              <li key={mail.id}>
                <Card as="article" aria-labelledby={`mail-${mail.id}`} padding="sm" className="sm:p-5">
                  <div className="flex flex-wrap items-start justify-between gap-3">
                    <div className="min-w-0">
                      <h2 id={`mail-${mail.id}`} className="text-base font-semibold text-slate-900">
                        {mail.subject}
                      </h2>
                      <p className="mt-0.5 text-sm text-slate-600">
                        To <span className="font-medium text-slate-800">{mail.to}</span>
                      </p>
                    </div>
                    <Badge tone="neutral">
                      <time dateTime={mail.at.toISOString()}>{formatDateTime(mail.at)}</time>
                    </Badge>
                  </div>
                  <pre className="mt-4 overflow-x-auto rounded-lg bg-slate-50 p-4 font-sans text-sm leading-relaxed whitespace-pre-wrap text-slate-800 ring-1 ring-slate-200">
                    {linkify(mail.text)}
                  </pre>
                </Card>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
