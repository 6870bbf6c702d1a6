"use client";

import { usePathname } from "next/navigation";
import { AdminTabs } from "@/components/ui/admin-tabs";

const TABS = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/license", label: "License & Billing" },
  { href: "/admin/team", label: "Team" },
] as const;

export function AdminNav() {
  const pathname = usePathname() ?? "/admin";
  const active = TABS.slice()
    .reverse()
    .find((tab) => pathname === tab.href || pathname.startsWith(`${tab.href}/`));
  return <AdminTabs tabs={TABS} activeHref={active?.href ?? "/admin"} className="mt-5" />;
}
