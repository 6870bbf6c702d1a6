import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import type { ReactNode } from "react";
import { StaffNav } from "@/components/staff/staff-nav";
import { Badge } from "@/components/ui/badge";
import { ShieldIcon } from "@/components/ui/icons";
import { staffAccess } from "@/lib/auth/staff";

export const metadata: Metadata = {
  title: { template: "%s · Back office · TicketZero", default: "Back office" },
  robots: { index: false, follow: false },
};
export const dynamic = "force-dynamic";

/**
 * The back-office frame. Signed out: each page redirects to sign-in with its
 * own callbackUrl. Signed in but not staff: the 403 "Staff only" page
 * (app/forbidden.tsx) for every path. Every page and server action checks again on its own.
 */
export default async function StaffLayout({ children }: { children: ReactNode }) {
  const access = await staffAccess();
  if (access.kind === "signed_out") return <>{children}</>;
  if (access.kind === "forbidden") forbidden();
  return (
    <div className="container-page py-8 sm:py-10">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <p className="flex items-center gap-2 text-sm font-semibold text-brand-700">
            <ShieldIcon aria-hidden="true" />
            Back office
            <Badge tone="brand">Staff</Badge>
          </p>
          <p className="mt-0.5 text-sm text-slate-600">
            Signed in as <span className="font-medium text-slate-800">{access.user.email}</span>
          </p>
        </div>
      </div>
      <StaffNav />
      <div className="pt-8">{children}</div>
    </div>
  );
}
