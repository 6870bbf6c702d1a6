import { randomBytes } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { auditEvents, licenses, payments, processedEvents } from "@ticketzero/core/db/schema";
import { issueLicense } from "@ticketzero/core/license/licenses";
import type { PaidPlanId } from "@ticketzero/core/license/plans";
import { teamForEmail } from "@ticketzero/core/license/teams";
import { readOutbox } from "@ticketzero/core/server/mail";
import { and, eq, sql } from "drizzle-orm";

export const uniqueEmail = (tag: string) => `${tag}-${randomBytes(5).toString("hex")}@buyer.example.test`;

export async function licensesOf(email: string) {
  return getDb().select().from(licenses).where(eq(licenses.email, email)).orderBy(licenses.issuedAt);
}

export async function licenseById(id: string) {
  const [row] = await getDb().select().from(licenses).where(eq(licenses.id, id));
  if (!row) throw new Error(`no license ${id}`);
  return row;
}

export async function paymentsOf(email: string) {
  return getDb().select().from(payments).where(eq(payments.email, email));
}

export async function mailsTo(email: string) {
  return readOutbox({ to: email, order: "oldest" });
}

export async function isEventRecorded(eventId: string) {
  const [row] = await getDb().select().from(processedEvents).where(eq(processedEvents.eventId, eventId));
  return Boolean(row);
}

export async function auditOf(licenseId: string, action?: string) {
  return getDb()
    .select()
    .from(auditEvents)
    .where(
      action
        ? and(eq(auditEvents.licenseId, licenseId), eq(auditEvents.action, action))
        : eq(auditEvents.licenseId, licenseId),
    )
    .orderBy(auditEvents.id);
}

/** Audit rows whose detail mentions this checkout session (anything fulfilment would write). */
export async function auditMentioning(checkoutSessionId: string) {
  return getDb()
    .select()
    .from(auditEvents)
    .where(sql`${auditEvents.detail}->>'checkoutSessionId' = ${checkoutSessionId}`);
}

export const DAY_MS = 86_400_000;

/** The account (user and their own team) of an email, created like a first sign-in would. */
export async function accountOf(email: string): Promise<{ userId: string; teamId: string }> {
  const { userId, teamId } = await getDb().transaction((tx) => teamForEmail(tx, email));
  return { userId, teamId };
}

/** A license on the team of its email's owner, and that owner's user id (who may upgrade or renew it). */
export async function ownedLicense(plan: PaidPlanId, email: string) {
  const { userId, teamId } = await accountOf(email);
  const { license, key } = await issueLicense({ plan, email, teamId }, { actor: "test" });
  return { license, key, userId, teamId };
}
