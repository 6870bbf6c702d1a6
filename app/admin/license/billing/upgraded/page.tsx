import { getDb } from "@ticketzero/core/db/client";
import { licenses } from "@ticketzero/core/db/schema";
import { PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { requireLicenseRole } from "@ticketzero/core/license/teams";
import { decryptKey } from "@ticketzero/core/license/vault";
import { eq } from "drizzle-orm";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatDate } from "@/components/license/format";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { requireUser } from "../../../_lib/session";

export const metadata: Metadata = { title: "Upgraded", robots: { index: false } };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** After a prorated upgrade: the new key (owners and admins may see keys) and the old key's grace. */
export default async function UpgradedPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).license;
  const licenseId = Array.isArray(raw) ? raw[0] : raw;
  const user = await requireUser("/admin/license");
  const access = await requireLicenseRole(user.id, licenseId, "admin").catch(() => null);
  if (!access) notFound();
  const { license } = access;
  const [previous] = await getDb().select().from(licenses).where(eq(licenses.supersededBy, license.id));
  const key = decryptKey(license.keyCiphertext);
  const plan = PLANS[license.plan as PlanId]?.name ?? license.plan;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold sm:text-3xl">Upgraded to {plan}</h1>
      <Alert tone="success" title="Your new key is ready">
        We charged only the difference for the rest of your billing period (see the receipt in License &amp; Billing)
        and emailed the key to the license’s address.
      </Alert>
      <Card as="section" aria-labelledby="new-key-heading" padding="lg">
        <h2 id="new-key-heading" className="text-lg font-semibold">
          Your {plan} key
        </h2>
        <div className="mt-4 flex flex-wrap items-center gap-3 rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200 ring-inset">
          <code data-testid="upgraded-license-key" className="min-w-0 flex-1 font-mono font-semibold break-all">
            {key}
          </code>
          <CopyButton text={key} label="Copy license key" />
        </div>
        <p className="mt-3 text-sm text-slate-600">
          Set it on your TicketZero AI server (its setup screen or <code>TZ_LICENSE_KEY</code>) and restart it.
          {previous?.graceEndsAt ? (
            <span data-testid="grace-note">
              {" "}
              Your previous key {previous.keyMasked} keeps working until {formatDate(previous.graceEndsAt)}.
            </span>
          ) : null}
        </p>
      </Card>
      <Button href="/admin/license">Back to License &amp; Billing</Button>
    </div>
  );
}
