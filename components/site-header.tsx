import Link from "next/link";
import { Logo } from "./logo";
import { SiteNav } from "./site-nav";
import { Button } from "./ui/button";

export type SiteHeaderProps = {
  /** The signed-in account, or null/undefined when signed out. */
  user?: { email: string } | null;
  /** Staff see a link to the back office. */
  staff?: boolean;
  /** Server action that signs out; when absent, "Sign out" links to `signOutHref`. */
  signOutAction?: () => Promise<void>;
  signInHref?: string;
  signOutHref?: string;
};

const NAV = [
  { href: "/plans", label: "Plans" },
  { href: "/trial", label: "Start trial" },
  { href: "/admin", label: "Admin Panel" },
] as const;
const STAFF_NAV = [...NAV, { href: "/staff", label: "Back office" }] as const;

export function SiteHeader({
  user,
  staff = false,
  signOutAction,
  signInHref = "/signin",
  signOutHref = "/api/auth/signout",
}: SiteHeaderProps) {
  const account = user ? (
    <div className="flex flex-col gap-2 md:flex-row md:items-center">
      <span className="max-w-[14rem] truncate px-3 text-sm text-slate-600 md:px-0" title={user.email}>
        <span className="sr-only">Signed in as </span>
        {user.email}
      </span>
      {signOutAction ? (
        <form action={signOutAction}>
          <Button type="submit" variant="ghost" size="sm" className="w-full md:w-auto">
            Sign out
          </Button>
        </form>
      ) : (
        <Button href={signOutHref} variant="ghost" size="sm">
          Sign out
        </Button>
      )}
    </div>
  ) : (
    <Button href={signInHref} variant="ghost" size="sm">
      Sign in
    </Button>
  );

  return (
    <header className="sticky top-0 z-40 border-b border-slate-200/80 bg-white/85 backdrop-blur supports-[backdrop-filter]:bg-white/75">
      <div className="container-page relative flex h-16 items-center justify-between gap-4">
        <Link href="/" className="rounded-lg">
          <Logo />
          <span className="sr-only">, home</span>
        </Link>
        <SiteNav
          items={user && staff ? STAFF_NAV : NAV}
          account={account}
          cta={
            user ? null : (
              <Button href="/plans" size="sm">
                Buy a license
              </Button>
            )
          }
        />
      </div>
    </header>
  );
}
