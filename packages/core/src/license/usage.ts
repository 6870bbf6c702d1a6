/**
 * Usage reports from activated installations: tickets reserved by one
 * conditional upsert (the monthly count can never pass the limit, whatever
 * the concurrency) and the installation's client count, summed over the
 * license's active installations against `maxClients` under the license
 * row's lock. A refused report changes nothing: both happen in one
 * transaction.
 */
import { and, eq, sql } from "drizzle-orm";
import { type DbOrTx, getDb } from "../db/client";
import { activations, usageMonths } from "../db/schema";
import { slotFactsRowOf } from "./activations";
import { type Context, recordAudit } from "./audit";
import { isLicenseError, LicenseError } from "./errors";
import { formatNumber } from "./format";
import { assertUsable, findByKey } from "./licenses";
import { NEAR_LIMIT_RATIO, usagePeriod } from "./status";
import type { Usage } from "./types";
import { claimOnce } from "./webhook-events";

/** `instanceId`: the reporting installation (`X-Instance-Id`); checked after the license, like activation. */
export type ReserveInput = { licenseKey: string; instanceId: string | null; tickets: number; clients?: number };
export type ReserveResult = { usage: Usage; remaining: number };

export async function reserveTickets(input: ReserveInput, ctx: Context): Promise<ReserveResult> {
  const now = ctx.now ?? new Date();
  const period = usagePeriod(now);
  try {
    return await reserveInTransaction(input, ctx, now, period);
  } catch (error) {
    if (isLicenseError(error) && error.code === "USAGE_LIMIT_EXCEEDED") {
      // The refusal rolled its transaction back; the limit being reached is still news, once.
      await limitReachedByRefusal(input.licenseKey, period, input.tickets, ctx, now).catch(() => {});
    }
    throw error;
  }
}

function reserveInTransaction(input: ReserveInput, ctx: Context, now: Date, period: string): Promise<ReserveResult> {
  return getDb().transaction(async (tx) => {
    // The row lock only when clients are reported: they are checked against the sum over installations.
    const license = await findByKey(input.licenseKey, tx, input.clients !== undefined);
    assertUsable(license, now);
    const instanceId = input.instanceId;
    if (!instanceId) {
      throw new LicenseError("VALIDATION_FAILED", "Send the reporting installation's id as X-Instance-Id.", {
        details: [{ path: "X-Instance-Id", message: "required" }],
      });
    }
    // A report is a check-in too; only an active installation may make one.
    const [activation] = await tx
      .update(activations)
      .set({ lastSeenAt: now })
      .where(
        and(
          eq(activations.licenseId, license.id),
          eq(activations.instanceId, instanceId),
          sql`${activations.deactivatedAt} is null`,
        ),
      )
      .returning({ id: activations.id, clients: activations.clients });
    if (!activation) {
      throw new LicenseError(
        "INSTANCE_NOT_ACTIVATED",
        `Installation "${instanceId}" is not activated on this license; activate it before reporting usage.`,
      );
    }

    // One read for the slots and the clients of all active installations (this one included).
    const facts = await slotFactsRowOf(tx, license, now);
    const otherClients = facts.active_clients - activation.clients;
    let clients = activation.clients;
    if (input.clients !== undefined) {
      if (otherClients + input.clients > license.maxClients) {
        throw new LicenseError(
          "CLIENT_LIMIT_EXCEEDED",
          `${input.clients} clients here and ${otherClients} on this license's other installations is over its limit of ${license.maxClients}.`,
          { details: { maxClients: license.maxClients, otherInstallations: otherClients, requested: input.clients } },
        );
      }
      if (input.clients !== activation.clients) {
        await tx.update(activations).set({ clients: input.clients }).where(eq(activations.id, activation.id));
      }
      clients = input.clients;
    }

    if (input.tickets > license.maxTicketsPerMonth) {
      throw new LicenseError(
        "USAGE_LIMIT_EXCEEDED",
        `That is more than the ${license.maxTicketsPerMonth} tickets a month this license allows.`,
      );
    }
    let tickets: number;
    if (input.tickets === 0) {
      const [row] = await tx
        .select({ tickets: usageMonths.tickets })
        .from(usageMonths)
        .where(and(eq(usageMonths.licenseId, license.id), eq(usageMonths.period, period)));
      tickets = row?.tickets ?? 0;
    } else {
      const [row] = await tx
        .insert(usageMonths)
        .values({ licenseId: license.id, period, tickets: input.tickets })
        .onConflictDoUpdate({
          target: [usageMonths.licenseId, usageMonths.period],
          set: { tickets: sql`${usageMonths.tickets} + excluded.tickets` },
          setWhere: sql`${usageMonths.tickets} + excluded.tickets <= ${license.maxTicketsPerMonth}`,
        })
        .returning({ tickets: usageMonths.tickets });
      if (!row) {
        throw new LicenseError(
          "USAGE_LIMIT_EXCEEDED",
          `The monthly limit of ${formatNumber(license.maxTicketsPerMonth)} tickets would be exceeded; nothing was counted.`,
        );
      }
      tickets = row.tickets;
      await auditThresholdsReached(tx, ctx, license, period, tickets - input.tickets, tickets, now);
    }
    return {
      usage: { period, ticketsThisMonth: tickets, clients: otherClients + clients, activations: facts.slots_used },
      remaining: license.maxTicketsPerMonth - tickets,
    };
  });
}

/**
 * `usage.near_limit` / `usage.limit_reached` (audited, and so webhook events), once per month
 * and threshold: by the report whose count crosses 80% or 100% (claimed in its transaction, so a
 * limit raised and crossed again is not news twice). Only the crossing report does any work: the
 * reports after it, all day, add nothing to the usage path. A report refused at the limit claims 100% in
 * its own write (`limitReachedByRefusal`): the count never passes the limit, so a customer stopped
 * at 95% is at the limit too.
 */
async function auditThresholdsReached(
  tx: DbOrTx,
  ctx: Context,
  license: { id: string; maxTicketsPerMonth: number },
  period: string,
  before: number,
  tickets: number,
  now: Date,
) {
  const limit = license.maxTicketsPerMonth;
  if (limit <= 0) return;
  for (const [ratio, action] of [
    [NEAR_LIMIT_RATIO, "usage.near_limit"],
    [1, "usage.limit_reached"],
  ] as const) {
    const threshold = Math.ceil(limit * ratio);
    if (before >= threshold || tickets < threshold) continue;
    if (await claimOnce(tx, license.id, `event:${action}:${period}`, now)) {
      await recordAudit(tx, ctx, { licenseId: license.id, action, detail: { period, tickets, limit } });
    }
  }
}

async function limitReachedByRefusal(licenseKey: string, period: string, requested: number, ctx: Context, now: Date) {
  await getDb().transaction(async (tx) => {
    const license = await findByKey(licenseKey, tx);
    const [row] = await tx
      .select({ tickets: usageMonths.tickets })
      .from(usageMonths)
      .where(and(eq(usageMonths.licenseId, license.id), eq(usageMonths.period, period)));
    // A single report larger than the whole month's limit says nothing about this month's usage.
    if (requested > license.maxTicketsPerMonth) return;
    if (!(await claimOnce(tx, license.id, `event:usage.limit_reached:${period}`, now))) return;
    await recordAudit(tx, ctx, {
      licenseId: license.id,
      action: "usage.limit_reached",
      detail: { period, tickets: row?.tickets ?? 0, limit: license.maxTicketsPerMonth, refused: requested },
    });
  });
}

export async function usageHistory(licenseId: string, months = 6) {
  return getDb()
    .select({ period: usageMonths.period, tickets: usageMonths.tickets })
    .from(usageMonths)
    .where(eq(usageMonths.licenseId, licenseId))
    .orderBy(sql`${usageMonths.period} desc`)
    .limit(months);
}
