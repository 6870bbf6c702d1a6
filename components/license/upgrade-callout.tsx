import { PLANS, type PlanId } from "@ticketzero/core/license/plans";
import type { LicenseStatusBody } from "@ticketzero/core/license/types";
import { Button } from "../ui/button";
import { cn } from "../ui/cn";
import { ArrowRightIcon, SparkIcon } from "../ui/icons";
import { formatNumber } from "./format";
import { checkoutHref } from "./plan-picker";

export type UpgradeCalloutProps = {
  /** The `upgrade` field of LicenseStatusBody; renders nothing when null. */
  upgrade: LicenseStatusBody["upgrade"];
  /** The current plan, to show what grows (e.g. clients 15 → 50). */
  currentPlan?: PlanId;
  /** The current license's id, added as `&upgradeFrom=` to the checkout link (not for trials). */
  licenseId?: string;
  className?: string;
};

/** A recommendation to move up a plan, with the limits that grow and a checkout button. */
export function UpgradeCallout({ upgrade, currentPlan, licenseId, className }: UpgradeCalloutProps) {
  if (!upgrade) return null;
  const target = PLANS[upgrade.plan];
  const from = currentPlan ? PLANS[currentPlan] : null;
  const isPurchase = !from || from.id === "trial";
  const href = checkoutHref(upgrade.plan, isPurchase ? "purchase" : "upgrade", licenseId);
  const gains = from
    ? [
        { label: "MSP clients", from: from.limits.maxClients, to: target.limits.maxClients },
        { label: "Tickets / month", from: from.limits.maxTicketsPerMonth, to: target.limits.maxTicketsPerMonth },
        { label: "Activations", from: from.limits.maxActivations, to: target.limits.maxActivations },
      ].filter((g) => g.to > g.from)
    : [];

  return (
    <section
      aria-label={`Recommended: ${target.name}`}
      className={cn(
        "relative overflow-hidden rounded-2xl bg-gradient-to-br from-brand-700 via-brand-600 to-accent-600 p-6 text-white shadow-elevated sm:p-7",
        className,
      )}
    >
      <div className="bg-grid pointer-events-none absolute inset-0 opacity-30" aria-hidden="true" />
      <div className="relative flex flex-col gap-5 lg:flex-row lg:items-center lg:justify-between">
        <div className="max-w-xl">
          <p className="inline-flex items-center gap-1.5 rounded-full bg-white/15 px-2.5 py-1 text-xs font-semibold">
            <SparkIcon className="size-3.5" />
            Recommended for you
          </p>
          <h2 className="mt-3 text-xl font-semibold text-white">
            {isPurchase ? `Get ${target.name}` : `Upgrade to ${target.name}`}
          </h2>
          <p className="mt-1.5 text-sm leading-relaxed text-brand-50">{upgrade.reason}</p>
          {gains.length > 0 ? (
            <ul className="mt-4 flex flex-wrap gap-2">
              {gains.map((g) => (
                <li key={g.label} className="rounded-lg bg-white/10 px-3 py-1.5 text-xs ring-1 ring-white/20">
                  <span className="text-brand-100">{g.label}: </span>
                  <span className="tabular font-semibold">
                    {formatNumber(g.from)} <span aria-hidden="true">→</span>
                    <span className="sr-only">to</span> {formatNumber(g.to)}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <Button
          href={href}
          variant="secondary"
          size="lg"
          className="text-brand-800 ring-0 hover:bg-brand-50 focus-visible:outline-white"
          trailingIcon={<ArrowRightIcon />}
        >
          {isPurchase ? `Purchase ${target.name}` : `Upgrade to ${target.name}`}
        </Button>
      </div>
    </section>
  );
}
