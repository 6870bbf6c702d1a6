/**
 * Reminder mails (the guide's "System notifies of upcoming expiry" and
 * "Warnings displayed when approaching limits", by mail):
 *
 *   expiry_30d / expiry_7d / expiry_1d   active paid license, expiry that close (only the tightest)
 *   trial_ending_3d                      active trial, 3 days or fewer left
 *   expired                              once, within 30 days after expiry
 *   tickets_80_<YYYY-MM> / tickets_100_<YYYY-MM>   this month's tickets at 80% / 100% (only the tightest)
 *   event:…                              no mail: once-only webhook events' claims (webhook-events.ts claimOnce)
 *
 * Candidates come from one SQL query. Each is claimed by inserting its
 * `reminders` row (primary key license + kind); only the run that claimed it
 * sends the mail, so any number of app processes may run this at once. The
 * app runs it as the job runner's `send-reminders` cron task (server/jobs.ts). A mail
 * that fails to send gives its claim back and is retried on the next run.
 *
 * Renewals extend the same license row, so an expiry reminder belongs to one
 * expiry date: a row sent before the current cycle began (expires_at − N days
 * for `expiry_Nd` and `trial_ending_3d`, expires_at for `expired`) is stale and
 * may be claimed again, atomically, by the same upsert.
 *
 * Mails show the masked key only: the clear key is never read here.
 */
import { inArray, sql } from "drizzle-orm";
import { getDb, isDatabaseUnavailable } from "../db/client";
import { licenses } from "../db/schema";
import { config } from "../server/config";
import { sendMail } from "../server/mail";
import { recordAudit } from "./audit";
import { formatDate, formatNumber, formatPeriodLong } from "./format";
import type { LicenseRow } from "./licenses";
import { PLANS, type PlanId } from "./plans";
import { daysRemaining, NEAR_LIMIT_RATIO, plural, usagePeriod } from "./status";
import { claimOnce } from "./webhook-events";

export type SentReminder = { licenseId: string; key: string; email: string; kind: string };
export type ReminderRun = {
  sent: number;
  byKind: Record<string, number>;
  /** Reminders whose mail could not be sent this run (they are retried on the next). */
  failed: number;
  reminders: SentReminder[];
};

type Candidate = { license_id: string; kind: string; cycle_from: string | null; tickets: number | null };

const SYSTEM = { actor: "system" };

/** Every reminder due at `now` and not yet sent (for the license's current expiry cycle). */
async function dueReminders(now: Date): Promise<Candidate[]> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const period = usagePeriod(now);
  const rows = await getDb().execute<Candidate>(sql`
    with due as (
      select l.id as license_id,
             case when l.expires_at <= ${at} + interval '1 day' then 'expiry_1d'
                  when l.expires_at <= ${at} + interval '7 days' then 'expiry_7d'
                  else 'expiry_30d' end as kind,
             l.expires_at - case when l.expires_at <= ${at} + interval '1 day' then interval '1 day'
                                 when l.expires_at <= ${at} + interval '7 days' then interval '7 days'
                                 else interval '30 days' end as cycle_from,
             null::int as tickets
        from licenses l
       where l.state = 'active' and l.plan <> 'trial'
         and l.expires_at > ${at} and l.expires_at <= ${at} + interval '30 days'
      union all
      select l.id, 'trial_ending_3d', l.expires_at - interval '3 days', null
        from licenses l
       where l.state = 'active' and l.plan = 'trial'
         and l.expires_at > ${at} and l.expires_at <= ${at} + interval '3 days'
      union all
      select l.id, 'expired', l.expires_at, null
        from licenses l
       where l.state = 'active'
         and l.expires_at <= ${at} and l.expires_at > ${at} - interval '30 days'
      union all
      select l.id,
             case when u.tickets >= l.max_tickets_per_month then 'tickets_100_' else 'tickets_80_' end || u.period,
             null,
             u.tickets
        from usage_months u join licenses l on l.id = u.license_id
       where u.period = ${period} and l.state = 'active' and l.expires_at > ${at}
         and l.max_tickets_per_month > 0 and u.tickets >= l.max_tickets_per_month * ${NEAR_LIMIT_RATIO}::numeric
    )
    select d.license_id, d.kind, d.cycle_from, d.tickets
      from due d join licenses l on l.id = d.license_id
     where not exists (
             select 1 from reminders r
              where r.license_id = d.license_id and r.kind = d.kind
                and r.sent_at >= coalesce(d.cycle_from, '-infinity'::timestamptz))
       -- A trial whose holder has since bought a plan needs no "trial ending" mail.
       and not (l.plan = 'trial' and d.kind in ('trial_ending_3d', 'expired') and exists (
             select 1 from licenses o
              where o.email = l.email and o.id <> l.id and o.plan <> 'trial'
                and o.state = 'active' and o.expires_at > ${at}))
     order by d.license_id, d.kind
  `);
  return [...rows];
}

/**
 * `license.expired` (an audit entry, and so a webhook event), once per expiry
 * date: claimed as the `event:license.expired` row of `reminders` in the same
 * transaction as the audit, so concurrent runs record it once and a renewed
 * license that expires again records it again. Trials included. The job
 * runner's `record-expiries` task runs it (server/jobs.ts), apart from the mails.
 */
export async function recordExpiries(now: Date = new Date()): Promise<number> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const due = await getDb().execute<{ id: string; expires_at: string }>(sql`
    select l.id, l.expires_at from licenses l
     where l.state = 'active' and l.expires_at <= ${at} and l.expires_at > ${at} - interval '30 days'
       and not exists (select 1 from reminders r
                        where r.license_id = l.id and r.kind = 'event:license.expired' and r.sent_at >= l.expires_at)
     limit 1000`);
  let recorded = 0;
  for (const row of due) {
    await getDb().transaction(async (tx) => {
      // Locked and read again: a renewal that committed since the query above means no expiry.
      const [current] = await tx.execute<{ expires_at: string }>(sql`
        select expires_at from licenses
         where id = ${row.id} and state = 'active' and expires_at <= ${at}
         for update`);
      if (!current) return;
      const expiredAt = new Date(current.expires_at);
      if (!(await claimOnce(tx, row.id, "event:license.expired", now, expiredAt))) return; // another run has it
      await recordAudit(
        tx,
        { ...SYSTEM, now },
        {
          licenseId: row.id,
          action: "license.expired",
          detail: { expiredAt: expiredAt.toISOString() },
        },
      );
      recorded++;
    });
  }
  return recorded;
}

/** Claims one reminder: true only for the one run whose row went in (or replaced a stale one). */
async function claim(candidate: Candidate, now: Date): Promise<boolean> {
  const rows = await getDb().execute(sql`
    insert into reminders (license_id, kind, sent_at)
    values (${candidate.license_id}, ${candidate.kind}, ${now.toISOString()}::timestamptz)
    on conflict (license_id, kind) do update set sent_at = excluded.sent_at
      where reminders.sent_at < coalesce(${candidate.cycle_from}::timestamptz, '-infinity'::timestamptz)
    returning kind
  `);
  return rows.length > 0;
}

async function release(candidate: Candidate, now: Date): Promise<void> {
  await getDb().execute(sql`
    delete from reminders
     where license_id = ${candidate.license_id} and kind = ${candidate.kind}
       and sent_at = ${now.toISOString()}::timestamptz
  `);
}

/** The mail for one reminder: masked key, plan, dates or usage, and where to act. */
export function reminderMail(
  license: LicenseRow,
  kind: string,
  now: Date,
  tickets: number | null = null,
): { subject: string; text: string } {
  const url = config().publicUrl;
  const planName = PLANS[license.plan as PlanId]?.name ?? license.plan;
  const trial = license.plan === "trial";
  const days = daysRemaining(license.expiresAt, now);
  const expires = formatDate(license.expiresAt);
  const autoRenews = Boolean(license.stripeSubscriptionId) && !license.cancelAtPeriodEnd;
  const facts: string[] = [`  License: ${license.keyMasked}`, `  Plan:    ${planName}`];
  let subject: string;
  let intro: string;
  let action = `Renew or change your plan in the Admin Panel → License & Billing: ${url}/admin/license`;

  if (kind.startsWith("tickets_")) {
    const reached = kind.startsWith("tickets_100_");
    const used = tickets ?? 0;
    const limit = license.maxTicketsPerMonth;
    const percent = Math.floor((used / limit) * 100);
    const period = formatPeriodLong(kind.slice(kind.lastIndexOf("_") + 1));
    subject = reached
      ? `TicketZero: this month's ticket limit is reached (${planName})`
      : `TicketZero: ${percent}% of this month's tickets used (${planName})`;
    intro = reached
      ? `Your TicketZero ${planName} license has used all ${plural(limit, "ticket")} it allows this month (${period}). Installations cannot process more tickets until the month ends (UTC).`
      : `Your TicketZero ${planName} license has used ${formatNumber(used)} of its ${plural(limit, "ticket")} this month (${period}, ${percent}%).`;
    facts.push(`  Tickets: ${formatNumber(used)} of ${formatNumber(limit)} (${period})`);
    facts.push(`  Expires: ${expires}`);
    action = `See your usage in the Admin Panel → License & Billing: ${url}/admin/license`;
  } else if (kind === "expired") {
    subject = trial ? "Your TicketZero trial has ended" : `Your TicketZero ${planName} license has expired`;
    intro = trial
      ? `Your TicketZero trial ended on ${expires}. Buy a plan to keep TicketZero AI running.`
      : `Your TicketZero ${planName} license expired on ${expires}; installations using it no longer work. Renew to continue.`;
    facts.push(`  Expired: ${expires}`);
    if (trial) action = `Compare plans and buy: ${url}/plans`;
  } else if (kind === "trial_ending_3d") {
    subject = `Your TicketZero trial ends in ${plural(days, "day")}`;
    intro = `Your TicketZero trial ends on ${expires} (in ${plural(days, "day")}). Buy a plan to keep TicketZero AI running without interruption.`;
    facts.push(`  Ends:    ${expires} (${plural(days, "day")} left)`);
    action = `Compare plans and buy: ${url}/plans`;
  } else {
    if (license.cancelAtPeriodEnd) {
      subject = `Your TicketZero ${planName} subscription ends in ${plural(days, "day")}`;
      intro = `Your ${planName} subscription was cancelled and ends on ${expires} (in ${plural(days, "day")}). After that, your installations stop working. Renew to keep TicketZero AI running.`;
    } else if (autoRenews) {
      subject = `Your TicketZero ${planName} subscription renews in ${plural(days, "day")}`;
      intro = `Your ${planName} subscription renews automatically on ${expires} (in ${plural(days, "day")}). Nothing to do if your payment method is current.`;
      action = `Review your license and billing in the Admin Panel → License & Billing: ${url}/admin/license`;
    } else {
      subject = `Your TicketZero ${planName} license expires in ${plural(days, "day")}`;
      intro = `Your TicketZero ${planName} license expires on ${expires} (in ${plural(days, "day")}). Renew to keep TicketZero AI running.`;
    }
    facts.push(`  Expires: ${expires} (${plural(days, "day")} left)`);
  }

  const text = [
    intro,
    "",
    ...facts,
    "",
    action,
    `Plans and prices: ${url}/plans`,
    "",
    "You receive this mail because this address holds a TicketZero license.",
  ].join("\n");
  return { subject, text };
}

/** Error text for logs, with anything shaped like a license key masked. */
function safeMessage(error: unknown): string {
  if (isDatabaseUnavailable(error)) return "database unavailable";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/TZ-[A-Z]{3,5}(-[0-9A-Z]{4,8})+/gi, (k) => `${k.slice(0, k.indexOf("-", 3))}-****`);
}

/**
 * Sends every reminder due at `now`, each at most once (per expiry cycle, or
 * per month for usage), across any number of concurrent runs and processes.
 */
export async function sendDueReminders(now: Date = new Date()): Promise<ReminderRun> {
  const result: ReminderRun = { sent: 0, byKind: {}, failed: 0, reminders: [] };
  const candidates = await dueReminders(now);
  if (!candidates.length) return result;
  const ids = [...new Set(candidates.map((c) => c.license_id))];
  const rows = await getDb().select().from(licenses).where(inArray(licenses.id, ids));
  const byId = new Map(rows.map((row) => [row.id, row]));

  for (const candidate of candidates) {
    const license = byId.get(candidate.license_id);
    if (!license) continue;
    if (!(await claim(candidate, now))) continue; // another run has it
    try {
      const mail = reminderMail(license, candidate.kind, now, candidate.tickets);
      await sendMail({ to: license.email, ...mail });
    } catch (error) {
      result.failed++;
      console.error(`[reminders] ${candidate.kind} for ${license.keyMasked} not sent: ${safeMessage(error)}`);
      await release(candidate, now).catch((releaseError: unknown) => {
        console.error(
          `[reminders] could not release ${candidate.kind} for ${license.keyMasked}: ${safeMessage(releaseError)}`,
        );
      });
      continue;
    }
    result.sent++;
    result.byKind[candidate.kind] = (result.byKind[candidate.kind] ?? 0) + 1;
    result.reminders.push({
      licenseId: license.id,
      key: license.keyMasked,
      email: license.email,
      kind: candidate.kind,
    });
    // The mail is out: a failed audit write must not give the claim back (that would send it twice).
    await recordAudit(getDb(), SYSTEM, {
      licenseId: license.id,
      action: "reminder.sent",
      detail: { kind: candidate.kind, key: license.keyMasked },
    }).catch((error: unknown) => {
      console.error(`[reminders] audit of ${candidate.kind} for ${license.keyMasked} failed: ${safeMessage(error)}`);
    });
  }
  return result;
}
