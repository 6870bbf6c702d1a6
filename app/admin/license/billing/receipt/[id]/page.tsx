import { PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { receiptFor } from "@ticketzero/core/stripe/subscriptions";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatAmount, PAYMENT_WORDS } from "@/components/billing/billing-card";
import { formatDateTime } from "@/components/license/format";
import { Card } from "@/components/ui/card";
import { requireUser } from "../../../../_lib/session";

export const metadata: Metadata = { title: "Receipt", robots: { index: false } };
export const dynamic = "force-dynamic";

/** A printable receipt for a payment without a Stripe-hosted one (test mode). Team members only. */
export default async function ReceiptPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/admin/license/billing/receipt/${encodeURIComponent(id)}`);
  const found = await receiptFor(user.id, decodeURIComponent(id)).catch(() => null);
  if (!found) notFound();
  const { payment, license } = found;
  const rows = [
    { label: "Receipt number", value: payment.checkoutSessionId },
    { label: "Date", value: formatDateTime(payment.createdAt) },
    { label: "Billed to", value: [payment.company, payment.email].filter(Boolean).join(" · ") },
    {
      label: "Item",
      value: `TicketZero AI ${PLANS[payment.plan as PlanId]?.name ?? payment.plan} — ${PAYMENT_WORDS[payment.kind] ?? payment.kind}`,
    },
    { label: "License", value: license.keyMasked },
    { label: "Amount paid", value: formatAmount(payment.amountCents, payment.currency) },
  ];
  return (
    <Card as="article" aria-labelledby="receipt-heading" padding="lg" className="mx-auto max-w-2xl">
      {payment.mode === "test" ? (
        <p className="text-xs font-bold tracking-wide text-amber-800 uppercase">Test mode — nothing was charged</p>
      ) : null}
      <h1 id="receipt-heading" className="mt-1 text-2xl font-bold">
        Receipt
      </h1>
      <p className="text-sm text-slate-600">TicketZero License Portal</p>
      <dl className="mt-6 divide-y divide-slate-200 text-sm">
        {rows.map((row) => (
          <div key={row.label} className="flex flex-wrap justify-between gap-2 py-3">
            <dt className="text-slate-600">{row.label}</dt>
            <dd className="font-medium break-all text-slate-900">{row.value}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-6 text-sm text-slate-600 print:hidden">Use your browser’s Print command to save it as a PDF.</p>
    </Card>
  );
}
