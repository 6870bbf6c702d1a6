"use client";

import { usePathname } from "next/navigation";
import { AdminTabs } from "@/components/ui/admin-tabs";

const TABS = [
  { href: "/staff", label: "Overview" },
  { href: "/staff/licenses", label: "Licenses" },
  { href: "/staff/customers", label: "Customers" },
  { href: "/staff/licenses/new", label: "Issue license" },
  { href: "/staff/webhooks", label: "Webhooks" },
  { href: "/staff/audit", label: "Audit log" },
  { href: "/staff/api-tokens", label: "API tokens" },
] as const;

/** Back-office tabs; the longest matching href is the current one. */
export function StaffNav() {
  const pathname = usePathname() ?? "/staff";
  const active = TABS.filter((tab) => pathname === tab.href || pathname.startsWith(`${tab.href}/`)).sort(
    (a, b) => b.href.length - a.href.length,
  )[0];
  return <AdminTabs tabs={TABS} activeHref={active?.href ?? "/staff"} label="Back office sections" className="mt-5" />;
}
