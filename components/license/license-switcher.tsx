import type { StatusIndicator as Status } from "@ticketzero/core/license/types";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { StatusIndicator } from "../ui/status-indicator";
import { SubmitButton } from "../ui/submit-button";
import { formatDate } from "./format";

export type SwitcherItem = {
  id: string;
  planName: string;
  keyMasked: string;
  status: Status;
  statusLabel?: string;
  expiresAt: string;
  teamName: string;
  primary: boolean;
  /** Bound server action that makes this the team's primary license (admins only; absent otherwise). */
  makePrimary?: () => Promise<void>;
};

/**
 * Every license the user can see, across their teams: pick one to open it, and
 * (admins) choose the one the Admin Panel opens on. Links work without JavaScript.
 */
export function LicenseSwitcher({
  items,
  currentId,
  showTeams,
}: {
  items: SwitcherItem[];
  currentId: string | null;
  showTeams: boolean;
}) {
  return (
    <Card as="section" aria-labelledby="switcher-heading" padding="sm" className="sm:p-5">
      <CardHeader
        id="switcher-heading"
        title="Your licenses"
        description="Open one to see its status, usage and installations. The primary license is the one this page opens on."
      />
      <ul className="mt-3 grid gap-2 md:grid-cols-2">
        {items.map((item) => {
          const current = item.id === currentId;
          return (
            <li
              key={item.id}
              className={cn(
                "flex flex-wrap items-center justify-between gap-2 rounded-xl p-3 ring-1",
                current ? "bg-brand-50 ring-brand-300" : "bg-white ring-slate-200",
              )}
            >
              <a
                href={`/admin/license?license=${item.id}`}
                aria-current={current ? "page" : undefined}
                className="min-w-0 flex-1 rounded focus-visible:outline-2 focus-visible:outline-brand-600"
              >
                <span className="flex flex-wrap items-center gap-2">
                  <span className="font-semibold text-slate-900">{item.planName}</span>
                  <StatusIndicator status={item.status} label={item.statusLabel} size="sm" />
                  {item.primary ? <Badge tone="brand">Primary</Badge> : null}
                </span>
                <span className="mt-0.5 block break-all font-mono text-xs text-slate-600">{item.keyMasked}</span>
                <span className="block text-xs text-slate-600">
                  {showTeams ? `${item.teamName} · ` : null}
                  {item.status === "expired" || item.status === "invalid" ? "Ended or ends" : "Expires"}{" "}
                  {formatDate(item.expiresAt)}
                </span>
              </a>
              {item.makePrimary && !item.primary ? (
                <form action={item.makePrimary}>
                  <SubmitButton
                    variant="ghost"
                    size="sm"
                    aria-label={`Make primary: ${item.planName} ${item.keyMasked}`}
                  >
                    Make primary
                  </SubmitButton>
                </form>
              ) : null}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}
