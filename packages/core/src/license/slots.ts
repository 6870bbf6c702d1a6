/**
 * Activation slots and the churn invariant (PRODUCT.md "Activation rules").
 *
 * Invariant: at any moment the installations able to run — activated, or
 * holding an unexpired certificate — are at most
 *   maxActivations + swapsPer30Days + staff releases of the last 30 days,
 * with `maxActivations` as it was when each slot was taken: staff lowering
 * it cuts no running installation off (another staff override, audited).
 *
 * Why it holds:
 * - A slot is taken by an active installation, and by a deactivated one
 *   until `slot_frees_at`. Activation refuses past `maxActivations` taken
 *   slots (the license row is locked), so taken slots ≤ maxActivations.
 * - Certificates go only to active installations and never outlive the
 *   row's `certificate_expires_at`. A deactivation without a swap sets
 *   `slot_frees_at` to that time, so the installation keeps its slot for as
 *   long as it can run.
 * - Only a swap (at most `swapsPer30Days` per 30 days, counted in
 *   `slot_swaps`) or a staff release frees a slot while its installation
 *   can still run; each such installation runs at most one certificate
 *   lifetime (≤ 30 days) past its deactivation. So the installations
 *   running beyond the taken slots are at most the swaps and releases of
 *   the last 30 days.
 * tests/core/churn.property.test.ts checks this against random histories.
 */
import type { PlanLimits } from "./plans";
import type { SlotSummary } from "./types";

export const SWAP_WINDOW_DAYS = 30;
const SWAP_WINDOW_MS = SWAP_WINDOW_DAYS * 86_400_000;

/** The swap allowance of a license: its own setting, else one swap per slot. */
export const swapAllowance = (license: { swapsPer30Days: number | null; maxActivations: number }) =>
  license.swapsPer30Days ?? license.maxActivations;

/**
 * The heartbeat window of a license in seconds: its own setting, else the
 * certificate lifetime; null when the license is exempt (a setting of 0).
 */
export function heartbeatWindowSeconds(
  license: { heartbeatWindowSeconds: number | null },
  certificateTtlSeconds: number,
): number | null {
  const window = license.heartbeatWindowSeconds ?? certificateTtlSeconds;
  return window > 0 ? window : null;
}

export const swapWindowStart = (now: Date) => new Date(now.getTime() - SWAP_WINDOW_MS);

/** What the database says about a license's slots at `now` (one query; see SLOT_FACTS_SQL). */
export type SlotFacts = {
  used: number;
  held: number;
  nextHeldFreesAt: Date | null;
  /**
   * With every slot taken, the earliest a live installation's slot frees by
   * the heartbeat: its deadline (last check-in + window), or its
   * certificate's expiry if later (a culled installation's slot is held until then).
   */
  firstCullFreesAt: Date | null;
  swapsUsed: number;
};

/** Whether activation row `a` takes a slot at `now` (SQL): active, or deactivated with its slot still held. */
export const slotTakenSql = (a: string, now: string) => `(${a}.deactivated_at is null or ${a}.slot_frees_at > ${now})`;

/**
 * The slot facts of license `license` at `now` with heartbeat window
 * `windowSeconds` (SQL expressions; ≤ 0: exempt), as a FROM-clause fragment
 * adding the columns of SlotFactsRow: one pass over the license's
 * activations, one count of its swaps. Used by the status query and by
 * activation, so both count the same way.
 */
export const slotFactsJoin = (license: string, now: string, windowSeconds: string) => `
  cross join lateral (
    select
      count(*) filter (where ${slotTakenSql("a", now)})::int as slots_used,
      count(*) filter (where a.deactivated_at is not null and a.slot_frees_at > ${now})::int as slots_held,
      min(a.slot_frees_at) filter (where a.deactivated_at is not null and a.slot_frees_at > ${now}) as next_held_frees_at,
      min(case when a.kind = 'air_gapped' then a.license_file_expires_at -- culled when its file expires
               else greatest(a.last_seen_at + make_interval(secs => ${windowSeconds}), a.certificate_expires_at) end)
        filter (where a.deactivated_at is null and (a.kind = 'air_gapped' or ${windowSeconds} > 0)) as first_cull_frees_at,
      coalesce(sum(a.clients) filter (where a.deactivated_at is null), 0)::int as active_clients
    from activations a where a.license_id = ${license}
  ) slot_facts
  cross join lateral (
    select count(*)::int as swaps_used, min(s.at) as oldest_swap_at from slot_swaps s
    where s.license_id = ${license} and not s.override and s.at > ${now} - interval '${SWAP_WINDOW_DAYS} days'
  ) swap_facts`;

export type SlotFactsRow = {
  /** Clients summed over the active installations. */
  active_clients: number;
  slots_used: number;
  slots_held: number;
  next_held_frees_at: Date | string | null;
  first_cull_frees_at: Date | string | null;
  swaps_used: number;
  /** The oldest swap still counted: one fewer is counted when it leaves the window. */
  oldest_swap_at: Date | string | null;
};

const asDate = (value: Date | string | null) =>
  value === null ? null : value instanceof Date ? value : new Date(value);

export const slotFactsOf = (row: SlotFactsRow): SlotFacts => ({
  used: row.slots_used,
  held: row.slots_held,
  nextHeldFreesAt: asDate(row.next_held_frees_at),
  firstCullFreesAt: asDate(row.first_cull_frees_at),
  swapsUsed: row.swaps_used,
});

export function slotSummary(
  license: Pick<PlanLimits, "maxActivations"> & { swapsPer30Days: number | null },
  facts: SlotFacts,
): SlotSummary {
  const allowance = swapAllowance(license);
  // With every slot taken, the next may free when the heartbeat deactivates the quietest installation.
  const heartbeatDeadline = facts.used >= license.maxActivations ? facts.firstCullFreesAt : null;
  const candidates = [facts.nextHeldFreesAt, heartbeatDeadline].filter((d): d is Date => d !== null);
  const next = candidates.length ? new Date(Math.min(...candidates.map((d) => d.getTime()))) : null;
  return {
    used: facts.used,
    max: license.maxActivations,
    held: facts.held,
    nextFreesAt: next?.toISOString() ?? null,
    swapsLeft: Math.max(0, allowance - facts.swapsUsed),
    swapsPer30Days: allowance,
  };
}

/** Seconds an installation refused a slot should wait before asking again (the Retry-After of ACTIVATION_LIMIT_REACHED). */
export function retryAfterSeconds(slots: SlotSummary, now: Date): number {
  const MIN = 60;
  const MAX = 24 * 3600;
  if (!slots.nextFreesAt) return 3600;
  const seconds = Math.ceil((Date.parse(slots.nextFreesAt) - now.getTime()) / 1000);
  return Math.min(MAX, Math.max(MIN, seconds));
}
