import type { Metadata } from "next";
import { IssueLicenseForm } from "@/components/staff/issue-form";
import { Card, CardHeader } from "@/components/ui/card";
import { requireStaff } from "@/lib/auth/staff";
import { issueAction } from "../../_lib/actions";

export const metadata: Metadata = { title: "Issue a license" };

export default async function StaffIssuePage() {
  await requireStaff("/staff/licenses/new");
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <div>
        <h1 className="text-2xl font-bold sm:text-3xl">Issue a license</h1>
        <p className="mt-1 text-slate-600">
          For enterprise deals, replacements and extended trials. No payment is recorded; the customer gets no email.
        </p>
      </div>
      <Card as="section" aria-labelledby="issue-heading" padding="lg">
        <CardHeader id="issue-heading" title="License details" />
        <IssueLicenseForm action={issueAction} />
      </Card>
    </div>
  );
}
