/**
 * Reminder mails (lib/license/reminders.ts): expiry, trial ending, expired and
 * usage reminders, each sent once per license and kind, also under concurrent
 * runs. Every run is global (the shared database holds other tests' licenses),
 * so each test asserts only on its own licenses' reminders and mails.
 */

import { getDb } from "@ticketzero/core/db/client";
import { auditEvents, licenses, reminders, usageMonths } from "@ticketzero/core/db/schema";
import { activateLicense } from "@ticketzero/core/license/activations";
import { formatDate, formatPeriodLong } from "@ticketzero/core/license/format";
import { extendLicense, issueLicense, type LicenseRow, revokeLicense } from "@ticketzero/core/license/licenses";
import type { PlanId } from "@ticketzero/core/license/plans";
import { reminderMail, sendDueReminders } from "@ticketzero/core/license/reminders";
import { usagePeriod } from "@ticketzero/core/license/status";
import { reserveTickets } from "@ticketzero/core/license/usage";
import { resetConfig } from "@ticketzero/core/server/config";
import { readOutbox, resetMailer } from "@ticketzero/core/server/mail";
import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runLicenseCli } from "../support/cli";
import { testEmail } from "../support/http";

const DAY = 86_400_000;
const NOW = new Date();
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const CTX = { actor: "test", now: NOW };

/** Tickets reported by the license's one activated installation. */
async function report(key: string, tickets: number) {
  await activateLicense({ licenseKey: key, instanceId: "reminder-test-installation" }, CTX);
  await reserveTickets({ licenseKey: key, instanceId: "reminder-test-installation", tickets }, CTX);
}

async function issue(
  what: string,
  expiresInDays: number,
  opts: { plan?: PlanId; maxTicketsPerMonth?: number; email?: string } = {},
): Promise<{ license: LicenseRow; key: string }> {
  return issueLicense(
    {
      plan: opts.plan ?? "professional",
      email: opts.email ?? testEmail(what),
      expiresAt: at(expiresInDays),
      limits: opts.maxTicketsPerMonth ? { maxTicketsPerMonth: opts.maxTicketsPerMonth } : undefined,
    },
    CTX,
  );
}

/** The reminder mails claimed for a license (`event:…` rows are webhook events' claims, not mails). */
async function kindsOf(licenseId: string): Promise<string[]> {
  const rows = await getDb()
    .select({ kind: reminders.kind })
    .from(reminders)
    .where(eq(reminders.licenseId, licenseId))
    .orderBy(asc(reminders.kind));
  return rows.map((r) => r.kind).filter((kind) => !kind.startsWith("event:"));
}

async function mailsTo(email: string) {
  return readOutbox({ to: email, order: "oldest" });
}

const mine = (run: Awaited<ReturnType<typeof sendDueReminders>>, licenseId: string) =>
  run.reminders.filter((r) => r.licenseId === licenseId).map((r) => r.kind);

describe("reminder mails", () => {
  it("a license expiring in 5 days gets one expiry_7d mail (not 30d too), and none on the next run", async () => {
    const { license, key } = await issue("rem-7d", 5);
    const first = await sendDueReminders(NOW);
    expect(mine(first, license.id)).toEqual(["expiry_7d"]);
    expect(first.byKind.expiry_7d).toBeGreaterThanOrEqual(1);
    expect(await kindsOf(license.id)).toEqual(["expiry_7d"]);

    const mails = await mailsTo(license.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Your TicketZero Professional license expires in 5 days");
    expect(mails[0]!.text).toContain(license.keyMasked);
    expect(mails[0]!.text).not.toContain(key);
    expect(mails[0]!.text).toContain("Professional");
    expect(mails[0]!.text).toContain(formatDate(license.expiresAt));
    expect(mails[0]!.text).toContain("5 days left");
    expect(mails[0]!.text).toMatch(/https?:\/\/\S+\/admin\/license/);
    expect(mails[0]!.text).toMatch(/https?:\/\/\S+\/plans/);

    const second = await sendDueReminders(NOW);
    expect(mine(second, license.id)).toEqual([]);
    expect(await mailsTo(license.email)).toHaveLength(1);

    const audit = await getDb()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.licenseId, license.id), eq(auditEvents.action, "reminder.sent")));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "system", detail: { kind: "expiry_7d", key: license.keyMasked } });
    expect(JSON.stringify(audit)).not.toContain(key);
  });

  it("five concurrent runs send the reminder once", async () => {
    const { license } = await issue("rem-concurrent", 5);
    const runs = await Promise.all(Array.from({ length: 5 }, () => sendDueReminders(NOW)));
    expect(runs.flatMap((run) => mine(run, license.id))).toEqual(["expiry_7d"]);
    expect(await mailsTo(license.email)).toHaveLength(1);
    expect(await kindsOf(license.id)).toEqual(["expiry_7d"]);
  });

  it("tickets at 85% get tickets_80 once; reaching 100% gets tickets_100 once", async () => {
    const { license, key } = await issue("rem-tickets", 200, { maxTicketsPerMonth: 100 });
    const period = usagePeriod(NOW);
    await report(key, 85);
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual([`tickets_80_${period}`]);
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual([]);
    let mails = await mailsTo(license.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain("85%");
    expect(mails[0]!.text).toContain(`85 of 100 (${formatPeriodLong(period)})`);
    expect(mails[0]!.text).toContain(license.keyMasked);
    expect(mails[0]!.text).not.toContain(key);

    await report(key, 15);
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual([`tickets_100_${period}`]);
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual([]);
    mails = await mailsTo(license.email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toContain("limit is reached");
    expect(await kindsOf(license.id)).toEqual([`tickets_100_${period}`, `tickets_80_${period}`]);
  });

  it("tickets straight to 100% get only tickets_100", async () => {
    const { license, key } = await issue("rem-tickets-full", 200, { maxTicketsPerMonth: 50 });
    await report(key, 50);
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual([`tickets_100_${usagePeriod(NOW)}`]);
    expect(await mailsTo(license.email)).toHaveLength(1);
  });

  it("a revoked (or suspended) license gets nothing", async () => {
    const { license, key } = await issue("rem-revoked", 5, { maxTicketsPerMonth: 10 });
    await report(key, 10);
    await revokeLicense(key, CTX, "test");
    const suspended = await issue("rem-suspended", 5);
    await getDb().update(licenses).set({ state: "suspended" }).where(eq(licenses.id, suspended.license.id));
    for (const when of [NOW, at(6)]) {
      const run = await sendDueReminders(when);
      expect(mine(run, license.id)).toEqual([]);
      expect(mine(run, suspended.license.id)).toEqual([]);
    }
    expect(await mailsTo(license.email)).toHaveLength(0);
    expect(await mailsTo(suspended.license.email)).toHaveLength(0);
  });

  it("moves through 30d, 7d, 1d and expired as time passes, each once", async () => {
    const { license, key } = await issue("rem-timeline", 40);
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual([]);
    expect(mine(await sendDueReminders(at(15)), license.id)).toEqual(["expiry_30d"]);
    expect(mine(await sendDueReminders(at(16)), license.id)).toEqual([]);
    expect(mine(await sendDueReminders(at(34)), license.id)).toEqual(["expiry_7d"]);
    expect(mine(await sendDueReminders(at(39.5)), license.id)).toEqual(["expiry_1d"]);
    expect(mine(await sendDueReminders(at(41)), license.id)).toEqual(["expired"]);
    expect(mine(await sendDueReminders(at(45)), license.id)).toEqual([]);
    // More than 30 days after expiry: no late "expired" mail for a license that never had one.
    const old = await issue("rem-long-expired", -31);
    expect(mine(await sendDueReminders(NOW), old.license.id)).toEqual([]);

    const mails = await mailsTo(license.email);
    expect(mails.map((m) => m.subject)).toEqual([
      "Your TicketZero Professional license expires in 25 days",
      "Your TicketZero Professional license expires in 6 days",
      "Your TicketZero Professional license expires in 1 day",
      "Your TicketZero Professional license has expired",
    ]);
    for (const mail of mails) {
      expect(mail.text).toContain(license.keyMasked);
      expect(mail.text).not.toContain(key);
    }
  });

  it("a renewed license is reminded again before its new expiry", async () => {
    const { license } = await issue("rem-renewed", 5);
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual(["expiry_7d"]);
    await extendLicense(license.id, at(5 + 365), CTX);
    expect(mine(await sendDueReminders(at(1)), license.id)).toEqual([]);
    expect(mine(await sendDueReminders(at(365)), license.id)).toEqual(["expiry_7d"]);
    expect(mine(await sendDueReminders(at(365)), license.id)).toEqual([]);
    expect(await mailsTo(license.email)).toHaveLength(2);
  });

  it("a trial gets trial_ending_3d, unless its holder has bought a plan", async () => {
    const { license, key } = await issue("rem-trial", 30, { plan: "trial" });
    expect(mine(await sendDueReminders(at(26)), license.id)).toEqual([]);
    expect(mine(await sendDueReminders(at(28)), license.id)).toEqual(["trial_ending_3d"]);
    const mails = await mailsTo(license.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Your TicketZero trial ends in 2 days");
    expect(mails[0]!.text).toContain(license.keyMasked);
    expect(mails[0]!.text).not.toContain(key);

    const bought = await issue("rem-trial-bought", 30, { plan: "trial" });
    await issue("unused", 365, { email: bought.license.email });
    const run = await sendDueReminders(at(28));
    expect(mine(run, bought.license.id)).toEqual([]);
    expect(mine(await sendDueReminders(at(31)), bought.license.id)).toEqual([]);
    expect(await kindsOf(bought.license.id)).toEqual([]);
  });

  it("a mail that fails to send is retried on the next run", async () => {
    const { license } = await issue("rem-fail", 5);
    // A real SMTP failure: nothing listens on port 1, so the connection is refused.
    process.env.SMTP_URL = "smtp://127.0.0.1:1";
    resetConfig();
    resetMailer();
    try {
      const failed = await sendDueReminders(NOW);
      expect(mine(failed, license.id)).toEqual([]);
      expect(failed.failed).toBeGreaterThanOrEqual(1);
      expect(await kindsOf(license.id)).toEqual([]);
    } finally {
      delete process.env.SMTP_URL;
      resetConfig();
      resetMailer();
    }
    expect(mine(await sendDueReminders(NOW), license.id)).toEqual(["expiry_7d"]);
    expect(await mailsTo(license.email)).toHaveLength(1);
  });

  it("a license deleted later takes its reminder rows with it", async () => {
    const { license } = await issue("rem-cascade", 5);
    await sendDueReminders(NOW);
    expect(await kindsOf(license.id)).toEqual(["expiry_7d"]);
    await getDb().delete(usageMonths).where(eq(usageMonths.licenseId, license.id));
    await getDb().delete(licenses).where(eq(licenses.id, license.id));
    expect(await kindsOf(license.id)).toEqual([]);
  });
});

// The app runs these through the job runner: tests/jobs/heartbeats.test.ts ("reminders and the cull go out through the jobs").

describe("reminder texts", () => {
  const base = {
    id: "00000000-0000-0000-0000-000000000001",
    keyMasked: "TZ-PRO-****-****-****-7K2Q",
    plan: "professional",
    maxTicketsPerMonth: 5000,
    expiresAt: at(5),
    stripeSubscriptionId: null,
    cancelAtPeriodEnd: false,
  } as unknown as LicenseRow;

  it("say whether the subscription renews by itself or ends", () => {
    expect(reminderMail(base, "expiry_7d", NOW).subject).toBe("Your TicketZero Professional license expires in 5 days");
    const renews = reminderMail({ ...base, stripeSubscriptionId: "sub_1" }, "expiry_7d", NOW);
    expect(renews.subject).toBe("Your TicketZero Professional subscription renews in 5 days");
    expect(renews.text).toContain("renews automatically");
    const ends = reminderMail({ ...base, stripeSubscriptionId: "sub_1", cancelAtPeriodEnd: true }, "expiry_7d", NOW);
    expect(ends.subject).toBe("Your TicketZero Professional subscription ends in 5 days");
    expect(ends.text).toContain("was cancelled");
  });

  it("give usage with the period", () => {
    const mail = reminderMail(base, "tickets_80_2026-11", NOW, 4250);
    expect(mail.subject).toBe("TicketZero: 85% of this month's tickets used (Professional)");
    expect(mail.text).toContain("4,250 of 5,000 (November 2026)");
  });
});

describe("npm run license -- remind", () => {
  it("sends what is due and prints it", async () => {
    const { license, key } = await issueLicense(
      { plan: "starter", email: testEmail("rem-cli"), expiresAt: new Date(Date.now() + 3 * DAY) },
      { actor: "test" },
    );
    const out = await runLicenseCli("remind", "--json");
    expect(out.code, out.stderr).toBe(0);
    const body = JSON.parse(out.stdout);
    expect(body.sent).toBeGreaterThanOrEqual(1);
    expect(body.reminders).toContainEqual({
      licenseId: license.id,
      key: license.keyMasked,
      email: license.email,
      kind: "expiry_7d",
    });
    expect(out.stdout + out.stderr).not.toContain(key);
    expect(await mailsTo(license.email)).toHaveLength(1);
  });
});
