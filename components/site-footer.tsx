import { supportEmail, supportHref } from "@ticketzero/core/license/support";
import Link from "next/link";
import { Logo } from "./logo";

const COLUMNS = [
  {
    title: "Product",
    links: [
      { href: "/plans", label: "Plans & pricing" },
      { href: "/trial", label: "Start a 30-day trial" },
      { href: "/#how-licensing-works", label: "How licensing works" },
      { href: "/docs/api", label: "API reference" },
    ],
  },
  {
    title: "Account",
    links: [
      { href: "/admin", label: "Admin Panel" },
      { href: "/admin/license", label: "License & Billing" },
      { href: "/#faq", label: "FAQ" },
    ],
  },
] as const;

export function SiteFooter() {
  return (
    <footer className="mt-auto border-t border-slate-200 bg-white">
      <div className="container-page grid gap-10 py-12 md:grid-cols-[1.5fr_1fr_1fr]">
        <div className="max-w-sm">
          <Logo />
          <p className="mt-4 text-sm leading-relaxed text-slate-600">
            On-premises AI ticket processing for managed service providers. Your data stays on your servers; your
            license key is all it needs.
          </p>
          {/* SUPPORT_EMAIL (license/support.ts): the same address every "contact support" names. */}
          <p className="mt-3 text-sm text-slate-600">
            Support:{" "}
            <a href={supportHref()} className="font-medium text-brand-700 underline-offset-2 hover:underline">
              {supportEmail()}
            </a>
          </p>
        </div>
        {COLUMNS.map((col) => (
          <nav key={col.title} aria-label={col.title}>
            <h2 className="text-sm font-semibold text-slate-900">{col.title}</h2>
            <ul className="mt-3 space-y-2">
              {col.links.map((l) => (
                <li key={l.href}>
                  <Link href={l.href} className="text-sm text-slate-600 hover:text-brand-700">
                    {l.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ))}
      </div>
      <div className="border-t border-slate-100">
        <div className="container-page flex flex-col gap-2 py-5 text-xs text-slate-600 sm:flex-row sm:justify-between">
          <p>© {new Date().getUTCFullYear()} TicketZero AI. All rights reserved.</p>
          <p>Prices in USD, billed yearly. Taxes may apply.</p>
        </div>
      </div>
    </footer>
  );
}
