import Link from "next/link";
import { cn } from "./cn";
import { LinkPending } from "./link-pending";

export type AdminTab = { href: string; label: string };

export type AdminTabsProps = {
  tabs: readonly AdminTab[];
  /** The href of the current tab (gets aria-current="page"). */
  activeHref: string;
  /** Accessible name of the nav landmark. */
  label?: string;
  className?: string;
};

/** Route-based tabs for the Admin Panel: a nav of links, the current one marked with aria-current. */
export function AdminTabs({ tabs, activeHref, label = "Admin Panel sections", className }: AdminTabsProps) {
  return (
    <nav aria-label={label} className={cn("-mx-4 overflow-x-auto px-4 sm:mx-0 sm:px-0", className)}>
      <ul className="flex min-w-max gap-1 border-b border-slate-200">
        {tabs.map((tab) => {
          const active = tab.href === activeHref;
          return (
            <li key={tab.href}>
              <Link
                href={tab.href}
                aria-current={active ? "page" : undefined}
                className={cn(
                  "-mb-px inline-flex h-11 items-center border-b-2 px-3 text-sm font-medium transition-colors sm:px-4",
                  active
                    ? "border-brand-600 text-brand-700"
                    : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900",
                )}
              >
                {tab.label}
                <LinkPending />
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
