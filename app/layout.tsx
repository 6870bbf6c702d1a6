import { staffStanding } from "@ticketzero/core/license/backoffice";
import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { SiteFooter } from "@/components/site-footer";
import { SiteHeader } from "@/components/site-header";
import { sessionUser } from "@/lib/auth/session";
import { signOutAction } from "./signin/actions";
import "./globals.css";

export const metadata: Metadata = {
  title: {
    template: "%s · TicketZero License Portal",
    default: "TicketZero License Portal",
  },
  description:
    "Buy, activate and manage TicketZero AI licenses: on-premises AI ticket processing for managed service providers.",
  applicationName: "TicketZero License Portal",
};

export const viewport: Viewport = {
  themeColor: "#4f46e5",
  width: "device-width",
  initialScale: 1,
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await sessionUser();
  // Read fresh (a revoked staff flag hides the link at once); signed out costs no query.
  const staff = user ? (await staffStanding(user)).kind === "staff" : false;
  return (
    <html lang="en" data-scroll-behavior="smooth">
      <body className="flex min-h-dvh flex-col">
        <a
          href="#main"
          className="sr-only z-50 rounded-lg bg-brand-700 px-4 py-2 text-sm font-semibold text-white focus:not-sr-only focus:fixed focus:top-3 focus:left-3"
        >
          Skip to content
        </a>
        <SiteHeader user={user} staff={staff} signOutAction={signOutAction} />
        <main id="main" tabIndex={-1} className="flex-1 focus:outline-none">
          {children}
        </main>
        <SiteFooter />
      </body>
    </html>
  );
}
