/**
 * Ticket reservations: one conditional upsert per request, so the monthly
 * count can never pass the limit, whatever the concurrency.
 */
import { eq, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { activations, licenses, usageMonths } from "../db/schema";
import type { Context } from "./audit";
import { LicenseError } from "./errors";
import { assertUsable, findByKey } from "./licenses";
import { usagePeriod } from "./status";
import type { Usage } from "./types";

export type ReserveInput = { licenseKey: string; tickets: number; clients?: number };
export type ReserveResult = { usage: Usage; remaining: number };

export async function reserveTickets(input: ReserveInput, ctx: Context): Promise<ReserveResult> {
  const now = ctx.now ?? new Date();
  const db = getDb();
  const license = await findByKey(input.licenseKey, db);
  assertUsable(license, now);
  if (input.clients !== undefined && input.clients > license.maxClients) {
    throw new LicenseError(
      "CLIENT_LIMIT_EXCEEDED",
      `${input.clients} clients is over this license's limit of ${license.maxClients}.`,
    );
  }
  const period = usagePeriod(now);
  if (input.tickets > license.maxTicketsPerMonth) {
    throw new LicenseError(
      "USAGE_LIMIT_EXCEEDED",
      `That is more than the ${license.maxTicketsPerMonth} tickets a month this license allows.`,
    );
  }
  const [row] = await db
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
      `The monthly limit of ${license.maxTicketsPerMonth.toLocaleString("en-US")} tickets would be exceeded; nothing was counted.`,
    );
  }
  let clients = license.clients;
  if (input.clients !== undefined && input.clients !== license.clients) {
    await db.update(licenses).set({ clients: input.clients }).where(eq(licenses.id, license.id));
    clients = input.clients;
  }
  const [{ n } = { n: 0 }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(activations)
    .where(eq(activations.licenseId, license.id));
  return {
    usage: { period, ticketsThisMonth: row.tickets, clients, activations: n },
    remaining: license.maxTicketsPerMonth - row.tickets,
  };
}

export async function usageHistory(licenseId: string, months = 6) {
  return getDb()
    .select({ period: usageMonths.period, tickets: usageMonths.tickets })
    .from(usageMonths)
    .where(eq(usageMonths.licenseId, licenseId))
    .orderBy(sql`${usageMonths.period} desc`)
    .limit(months);
}
