import {
  cheapestPlanWithFeature,
  FEATURES,
  type Feature,
  type FeatureKey,
  PLANS,
  type PlanId,
} from "@ticketzero/core/license/plans";
import { useId } from "react";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { CheckIcon, LockIcon } from "../ui/icons";

export type FeatureListProps = {
  /** Features the license includes (LicenseStatusBody.features). */
  features: Feature[];
  /** The license's plan, so locked features say which plan unlocks them. Omit when there is no license. */
  plan?: PlanId;
  /** Wrap in a Card with a heading (default true). */
  card?: boolean;
  title?: string;
  className?: string;
};

/**
 * Included features with check marks; features a higher plan adds are greyed with a lock and
 * "Unlocks with <Plan>". Features superseded by the current tier (e.g. Basic Dashboard on Enterprise) are omitted.
 */
export function FeatureList({
  features,
  plan = "trial",
  card = true,
  title = "Features",
  className,
}: FeatureListProps) {
  const headingId = useId();
  const included = new Set<string>(features.map((f) => f.key));
  const locked = (Object.keys(FEATURES) as FeatureKey[])
    .filter((key) => !included.has(key))
    .flatMap((key) => {
      const unlocks = cheapestPlanWithFeature(key, plan);
      return unlocks ? [{ key, name: FEATURES[key] as string, unlocks }] : [];
    });

  const body = (
    <div className="grid gap-6 md:grid-cols-2">
      <div>
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
          Included <span className="tabular">({features.length})</span>
        </h3>
        {features.length > 0 ? (
          <ul className="mt-3 space-y-2.5">
            {features.map((f) => (
              <li key={f.key} className="flex items-start gap-2.5 text-sm text-slate-800">
                <span className="mt-0.5 flex size-5 shrink-0 items-center justify-center rounded-full bg-emerald-100 text-emerald-700">
                  <CheckIcon className="size-3.5" />
                </span>
                <span>
                  {f.name}
                  <span className="sr-only"> (included)</span>
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="mt-3 text-sm text-slate-600">No features are active without a valid license.</p>
        )}
      </div>
      {locked.length > 0 ? (
        <div>
          <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
            Available on higher plans <span className="tabular">({locked.length})</span>
          </h3>
          <ul className="mt-3 space-y-2.5">
            {locked.map((f) => (
              <li key={f.key} className="flex items-start gap-2.5 text-sm">
                <span className="mt-0.5 flex size-5 shrink-0 items-center justify-center rounded-full bg-slate-100 text-slate-500">
                  <LockIcon className="size-3.5" />
                </span>
                <span className="flex min-w-0 flex-1 flex-wrap items-baseline justify-between gap-x-3">
                  <span className="text-slate-500">
                    {f.name}
                    <span className="sr-only"> (locked)</span>
                  </span>
                  <span className="text-xs font-medium text-brand-700">Unlocks with {PLANS[f.unlocks].name}</span>
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );

  if (!card) return <div className={className}>{body}</div>;
  return (
    <Card as="section" aria-labelledby={headingId} className={cn(className)}>
      <CardHeader id={headingId} title={title} />
      {body}
    </Card>
  );
}
