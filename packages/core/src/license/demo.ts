/**
 * Demo data for `npm run demo`: an account per plan with usage and
 * installations, so every state of the admin panel can be seen at once.
 * Idempotent: it only seeds an empty database.
 */
import { count, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { licenses, payments, usageMonths, users } from "../db/schema";
import { activateLicense } from "./activations";
import { issueLicense } from "./licenses";
import { PLANS, type PlanId } from "./plans";
import { usagePeriod } from "./status";
import { ensureUser, teamForEmail } from "./teams";

const DAY = 86_400_000;

export const DEMO_STAFF_EMAIL = "staff@demo.ticketzero.test";

export async function seedDemo(): Promise<void> {
  const db = getDb();
  // The back office (/staff): a staff account, ensured on every demo start.
  const { id: staffId } = await ensureUser(db, DEMO_STAFF_EMAIL, "TicketZero");
  await db.update(users).set({ isStaff: true }).where(eq(users.id, staffId));
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(licenses);
  if (n > 0) return;
  const ctx = { actor: "demo" };
  const now = Date.now();
  const demos: { email: string; plan: PlanId; expiresInDays: number; tickets: number; installations: number }[] = [
    { email: "pro@demo.ticketzero.test", plan: "professional", expiresInDays: 287, tickets: 4_200, installations: 3 },
    { email: "starter@demo.ticketzero.test", plan: "starter", expiresInDays: 21, tickets: 640, installations: 2 },
    {
      email: "enterprise@demo.ticketzero.test",
      plan: "enterprise",
      expiresInDays: 340,
      tickets: 9_800,
      installations: 6,
    },
    { email: "trial@demo.ticketzero.test", plan: "trial", expiresInDays: 12, tickets: 35, installations: 1 },
  ];
  for (const demo of demos) {
    const { teamId } = await db.transaction((tx) => teamForEmail(tx, demo.email, "Demo MSP"));
    const plan = PLANS[demo.plan];
    // Issued as long ago as the term already ran, and paid then (the back office's revenue chart).
    const issuedAt = new Date(now - (plan.durationDays - demo.expiresInDays) * DAY);
    const { license, key } = await issueLicense(
      {
        plan: demo.plan,
        email: demo.email,
        company: "Demo MSP",
        teamId,
        expiresAt: new Date(now + demo.expiresInDays * DAY),
      },
      { ...ctx, now: issuedAt },
    );
    if (plan.priceCents > 0) {
      await db.insert(payments).values({
        checkoutSessionId: `cs_demo_${demo.plan}`,
        licenseId: license.id,
        plan: demo.plan,
        email: demo.email,
        company: "Demo MSP",
        amountCents: plan.priceCents,
        mode: "test",
        createdAt: issuedAt,
      });
    }
    for (let i = 1; i <= demo.installations; i++) {
      await activateLicense({ licenseKey: key, instanceId: `demo-${demo.plan}-${i}`, instanceName: `Site ${i}` }, ctx);
    }
    for (let back = 5; back >= 0; back--) {
      const date = new Date(now);
      date.setUTCDate(1);
      date.setUTCMonth(date.getUTCMonth() - back);
      const tickets = back === 0 ? demo.tickets : Math.round(demo.tickets * (0.55 + 0.08 * (5 - back)));
      await db.insert(usageMonths).values({ licenseId: license.id, period: usagePeriod(date), tickets });
    }
    // Keys stay out of logs: the owner reveals it in the Admin Panel.
    console.info(`[demo] ${demo.plan.padEnd(12)} ${demo.email.padEnd(34)} ${license.keyMasked}`);
  }
  console.info(`[demo] ${"staff".padEnd(12)} ${DEMO_STAFF_EMAIL.padEnd(34)} back office at /staff`);
  console.info("[demo] Sign in with one of these emails; the link appears in this log and at /dev/outbox.");
}
