import type { Metadata } from "next";
import type { ReactNode } from "react";
import { sessionUser } from "@/lib/auth/session";
import { AdminNav } from "./admin-nav";

export const metadata: Metadata = { title: { template: "%s · Admin Panel · TicketZero", default: "Admin Panel" } };
export const dynamic = "force-dynamic";

/**
 * The Admin Panel frame. Signed-out visitors get nothing here: each page
 * redirects them to sign in (with its own callbackUrl), and every server
 * action checks the session again.
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await sessionUser();
  if (!user) return <>{children}</>;
  return (
    <div className="container-page py-8 sm:py-10">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <p className="text-sm font-semibold text-brand-700">Admin Panel</p>
          <p className="mt-0.5 text-sm text-slate-600">
            Signed in as <span className="font-medium text-slate-800">{user.email}</span>
          </p>
        </div>
      </div>
      <AdminNav />
      <div className="pt-8">{children}</div>
    </div>
  );
}
