"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { cn } from "./ui/cn";
import { CloseIcon, MenuIcon } from "./ui/icons";

export type NavItem = { href: string; label: string };

function isActive(pathname: string, href: string): boolean {
  if (href === "/") return pathname === "/";
  return pathname === href || pathname.startsWith(`${href}/`);
}

/**
 * Primary navigation: inline links on desktop, a disclosure menu on phones.
 * `account` is the sign-in / sign-out control rendered by the (server) header.
 */
export function SiteNav({ items, account, cta }: { items: readonly NavItem[]; account: ReactNode; cta?: ReactNode }) {
  const pathname = usePathname() ?? "/";
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);

  // Close the phone menu on navigation.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the path changes
  useEffect(() => {
    setOpen(false);
  }, [pathname]);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);

  const link = (item: NavItem, mobile: boolean) => {
    const active = isActive(pathname, item.href);
    return (
      <Link
        href={item.href}
        aria-current={active ? "page" : undefined}
        className={cn(
          "rounded-md font-medium transition-colors",
          mobile ? "block px-3 py-2.5 text-base" : "px-3 py-2 text-sm",
          active ? "text-brand-700 bg-brand-50" : "text-slate-700 hover:bg-slate-100 hover:text-slate-900",
        )}
      >
        {item.label}
      </Link>
    );
  };

  return (
    <>
      <nav aria-label="Main" className="hidden items-center gap-1 md:flex">
        <ul className="flex items-center gap-1">
          {items.map((item) => (
            <li key={item.href}>{link(item, false)}</li>
          ))}
        </ul>
        <span className="mx-2 h-6 w-px bg-slate-200" aria-hidden="true" />
        {account}
        {cta ? <span className="ml-2">{cta}</span> : null}
      </nav>

      <div className="md:hidden">
        <button
          ref={buttonRef}
          type="button"
          aria-expanded={open}
          aria-controls={menuId}
          onClick={() => setOpen((v) => !v)}
          className="inline-flex size-10 items-center justify-center rounded-lg text-slate-700 ring-1 ring-slate-200 hover:bg-slate-100"
        >
          {open ? <CloseIcon className="size-5" /> : <MenuIcon className="size-5" />}
          <span className="sr-only">{open ? "Close menu" : "Open menu"}</span>
        </button>
      </div>
      <nav
        id={menuId}
        aria-label="Main"
        hidden={!open}
        className="absolute inset-x-0 top-full border-b border-slate-200 bg-white px-4 pt-2 pb-4 shadow-lg md:hidden"
      >
        <ul className="space-y-1">
          {items.map((item) => (
            <li key={item.href}>{link(item, true)}</li>
          ))}
        </ul>
        <div className="mt-3 flex flex-col gap-2 border-t border-slate-200 pt-3">
          {account}
          {cta}
        </div>
      </nav>
    </>
  );
}
