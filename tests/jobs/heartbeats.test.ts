/**
 * Heartbeats and the job runner (license/heartbeats.ts, server/jobs.ts).
 *
 * - Culling with an injected time, run by TWO separate node processes at once
 *   against the same database (tests/jobs/cull-child.mjs, the built core):
 *   each silent installation is culled once, with exactly one audit event and
 *   one notice mail; live, exempt, expired-license and already-deactivated
 *   installations are untouched.
 * - The job runner: two runners on one schema enqueue each cron run once
 *   (graphile-worker's known_crontabs), and the reminder mails and the cull
 *   go out through those jobs.
 *
 * One file, so its parts run one after the other (the job runner's cull must
 * not meet the two-process test's rows); every cull here is scoped to this
 * file's licenses, since the database is shared with other suites.
 */
import { execFile } from "node:child_process";
import { EventEmitter } from "node:events";
import path from "node:path";
import { getDb } from "@ticketzero/core/db/client";
import { activations, auditEvents, licenses, reminders } from "@ticketzero/core/db/schema";
import { culledMail, cullSilentInstallations, describeWindow } from "@ticketzero/core/license/heartbeats";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { teamForEmail } from "@ticketzero/core/license/teams";
import { readConfig, resetConfig } from "@ticketzero/core/server/config";
import { everyMinutes, startJobs } from "@ticketzero/core/server/jobs";
import { readOutbox, resetMailer } from "@ticketzero/core/server/mail";
import { and, eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { suffix, testEmail } from "../support/http";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const CTX = { actor: "test" };

async function license(
  what: string,
  opts: { window?: number | null; expiresAt?: Date; teamId?: string; email?: string } = {},
) {
  const { license } = await issueLicense(
    {
      plan: "professional",
      email: opts.email ?? testEmail(what),
      expiresAt: opts.expiresAt ?? new Date(Date.now() + 300 * DAY),
      teamId: opts.teamId ?? null,
      limits: { maxActivations: 100 },
    },
    CTX,
  );
  if (opts.window !== undefined) {
    await getDb().update(licenses).set({ heartbeatWindowSeconds: opts.window }).where(eq(licenses.id, license.id));
  }
  return license;
}

type Seat = { lastSeenAt: Date; certificateExpiresAt?: Date | null; deactivatedAt?: Date; name?: string };

/** Inserts installations straight into `activations`; returns their ids in order. */
async function installations(licenseId: string, seats: Seat[]): Promise<string[]> {
  const rows = await getDb()
    .insert(activations)
    .values(
      seats.map((s, i) => ({
        licenseId,
        instanceId: `inst-${i}-${suffix()}`,
        instanceName: s.name ?? `Site ${i}`,
        activatedAt: new Date(s.lastSeenAt.getTime() - DAY),
        lastSeenAt: s.lastSeenAt,
        certificateExpiresAt: s.certificateExpiresAt ?? null,
        ...(s.deactivatedAt
          ? { deactivatedAt: s.deactivatedAt, deactivatedBy: "installation", slotFreesAt: s.deactivatedAt }
          : {}),
      })),
    )
    .returning({ id: activations.id });
  return rows.map((r) => r.id);
}

const repeat = (n: number, seat: Seat): Seat[] => Array.from({ length: n }, () => ({ ...seat }));

function runChild(env: Record<string, string>): Promise<{ culled: string[]; mailed: number; failed: number }> {
  const script = path.join(import.meta.dirname, "cull-child.mjs");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script],
      { env: { ...process.env, ...env }, cwd: path.resolve(import.meta.dirname, "../.."), timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`cull child failed: ${error.message}\n${stderr}`));
        const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
        if (!line) return reject(new Error(`cull child printed no result:\n${stdout}\n${stderr}`));
        resolve(JSON.parse(line.slice("RESULT ".length)));
      },
    );
  });
}

async function culledAudit(licenseIds: string[]) {
  return getDb()
    .select({ licenseId: auditEvents.licenseId, actor: auditEvents.actor, detail: auditEvents.detail })
    .from(auditEvents)
    .where(and(inArray(auditEvents.licenseId, licenseIds), eq(auditEvents.action, "activation.culled")));
}

async function rowsOf(ids: string[]) {
  const rows = await getDb().select().from(activations).where(inArray(activations.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

describe("heartbeat culling", () => {
  it("two processes culling at once cull each silent installation once: one audit event, one mail each", async () => {
    const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
    const ago = (ms: number) => new Date(NOW.getTime() - ms);

    // A: default window (the certificate lifetime, 7 days).
    const a = await license("hb-a");
    const aDead = await installations(a.id, repeat(24, { lastSeenAt: ago(8 * DAY) }));
    const [aHeld] = await installations(a.id, [
      { lastSeenAt: ago(8 * DAY), certificateExpiresAt: new Date(NOW.getTime() + 2 * DAY), name: "Held" },
    ]);
    const aLive = await installations(a.id, repeat(3, { lastSeenAt: ago(HOUR) }));
    const [aGone] = await installations(a.id, [{ lastSeenAt: ago(30 * DAY), deactivatedAt: ago(20 * DAY) }]);
    // B: attached to an account whose admin has another address: the notice goes there.
    const adminEmail = testEmail("hb-admin");
    const { teamId } = await getDb().transaction((tx) => teamForEmail(tx, adminEmail));
    const b = await license("hb-b", { teamId });
    const bDead = await installations(b.id, repeat(10, { lastSeenAt: ago(7 * DAY + 60_000) }));
    const bLive = await installations(b.id, repeat(2, { lastSeenAt: ago(7 * DAY - 60_000) }));
    // C: a one-hour window. D: a 30-day window.
    const c = await license("hb-c", { window: 3600 });
    const cDead = await installations(c.id, repeat(2, { lastSeenAt: ago(2 * HOUR) }));
    const cLive = await installations(c.id, [{ lastSeenAt: ago(30 * 60_000) }]);
    const d = await license("hb-d", { window: 30 * 86_400 });
    const dLive = await installations(d.id, repeat(2, { lastSeenAt: ago(8 * DAY) }));
    // E: an expired license; F: exempt (window 0). Neither is culled.
    const e = await license("hb-e", { expiresAt: ago(DAY) });
    const eSilent = await installations(e.id, [{ lastSeenAt: ago(40 * DAY) }]);
    const f = await license("hb-f", { window: 0 });
    const fSilent = await installations(f.id, [{ lastSeenAt: ago(60 * DAY) }]);

    const all = [a, b, c, d, e, f].map((l) => l.id);
    const dead = [...aDead, aHeld!, ...bDead, ...cDead];
    const untouched = [...aLive, ...bLive, ...cLive, ...dLive, ...eSilent, ...fSilent];

    const env = {
      CULL_NOW: NOW.toISOString(),
      CULL_LICENSES: JSON.stringify(all),
      CULL_START_AT: String(Date.now() + 2_000),
      CULL_BATCH: "4",
    };
    const [one, two] = await Promise.all([runChild(env), runChild(env)]);
    console.info(`[heartbeats test] culled by process 1: ${one.culled.length}, by process 2: ${two.culled.length}`);

    // Each dead installation culled by exactly one of the two processes, nothing else culled.
    expect(one.culled.filter((id) => two.culled.includes(id))).toEqual([]);
    expect([...one.culled, ...two.culled].sort()).toEqual([...dead].sort());
    expect(one.mailed + two.mailed).toBe(dead.length);
    expect(one.failed + two.failed).toBe(0);

    const rows = await rowsOf([...dead, ...untouched, aGone!]);
    for (const id of dead) {
      const row = rows.get(id)!;
      expect(row.deactivatedAt?.toISOString()).toBe(NOW.toISOString());
      expect(row.deactivatedBy).toBe("heartbeat");
      expect(row.slotFreesAt?.toISOString()).toBe(
        id === aHeld ? new Date(NOW.getTime() + 2 * DAY).toISOString() : NOW.toISOString(),
      );
    }
    for (const id of untouched) {
      expect(rows.get(id)!.deactivatedAt).toBeNull();
      expect(rows.get(id)!.deactivatedBy).toBeNull();
    }
    const gone = rows.get(aGone!)!;
    expect(gone.deactivatedBy).toBe("installation");
    expect(gone.deactivatedAt?.toISOString()).toBe(ago(20 * DAY).toISOString());

    // Exactly one audit event per culled installation, by the system, with what happened.
    const audit = await culledAudit(all);
    expect(audit).toHaveLength(dead.length);
    expect(new Set(audit.map((ev) => ev.detail.instanceId)).size).toBe(dead.length);
    expect(audit.every((ev) => ev.actor === "system")).toBe(true);
    const held = audit.find((ev) => ev.detail.instanceName === "Held")!;
    expect(held.detail).toMatchObject({
      lastSeenAt: ago(8 * DAY).toISOString(),
      slotFreesAt: new Date(NOW.getTime() + 2 * DAY).toISOString(),
    });

    // One mail per culled installation, to the account admin where there is one.
    const aMails = await readOutbox({ to: a.email, limit: 1000 });
    expect(aMails).toHaveLength(aDead.length + 1);
    expect(new Set(aMails.map((m) => m.subject)).size).toBe(aDead.length + 1);
    expect(aMails.every((m) => m.subject.endsWith("was deactivated after 7 days without a check-in"))).toBe(true);
    expect(aMails.every((m) => m.text.includes(a.keyMasked))).toBe(true);
    const heldMail = aMails.find((m) => m.subject.includes('"Held"'))!;
    expect(heldMail.text).toContain("when its last offline certificate expires");
    expect(await readOutbox({ to: adminEmail, limit: 1000 })).toHaveLength(bDead.length);
    expect(await readOutbox({ to: b.email })).toHaveLength(0);
    const cMails = await readOutbox({ to: c.email });
    expect(cMails).toHaveLength(2);
    expect(cMails[0]!.subject).toContain("after 1 hour without a check-in");
    for (const quiet of [d, e, f]) expect(await readOutbox({ to: quiet.email })).toHaveLength(0);

    // Again at the same time: nothing left to cull.
    const again = await cullSilentInstallations(NOW, { licenseIds: all });
    expect(again.culled).toEqual([]);
    expect(await culledAudit(all)).toHaveLength(dead.length);
  });

  it("a notice that cannot be sent is reported back; the cull and its audit stand", async () => {
    const now = new Date();
    const l = await license("hb-smtp");
    const [id] = await installations(l.id, [{ lastSeenAt: new Date(now.getTime() - 8 * DAY) }]);
    process.env.SMTP_URL = "smtp://127.0.0.1:1";
    resetConfig();
    resetMailer();
    try {
      const run = await cullSilentInstallations(now, { licenseIds: [l.id] });
      expect(run.culled.map((c) => c.activationId)).toEqual([id]);
      expect(run.mailed).toBe(0);
      expect(run.failedMails).toHaveLength(1);
      expect(run.failedMails[0]!.mail.to).toBe(l.email);
    } finally {
      delete process.env.SMTP_URL;
      resetConfig();
      resetMailer();
    }
    expect(await culledAudit([l.id])).toHaveLength(1);
    expect((await rowsOf([id!])).get(id!)!.deactivatedBy).toBe("heartbeat");
  });

  it("describes windows in whole units, and the notice shows the masked key only", () => {
    expect(describeWindow(604_800)).toBe("7 days");
    expect(describeWindow(86_400)).toBe("1 day");
    expect(describeWindow(129_600)).toBe("36 hours");
    expect(describeWindow(5_400)).toBe("90 minutes");
    expect(describeWindow(45)).toBe("45 seconds");
    const at = new Date("2030-01-10T12:00:00Z");
    const mail = culledMail({
      activationId: "x",
      licenseId: "y",
      instanceId: "site-1",
      instanceName: null,
      lastSeenAt: new Date("2030-01-02T08:30:00Z"),
      deactivatedAt: at,
      slotFreesAt: at,
      windowSeconds: 604_800,
      keyMasked: "TZ-PRO-****-****-****-7K2Q",
      plan: "professional",
      to: "it@msp.example",
      licenseFileExpiredAt: null,
    });
    expect(mail.subject).toBe("TicketZero: installation site-1 was deactivated after 7 days without a check-in");
    expect(mail.text).toContain("TZ-PRO-****-****-****-7K2Q");
    expect(mail.text).toContain("Jan 2, 2030, 08:30 AM UTC");
    expect(mail.text).toContain("free again now");
    expect(mail.text).toContain("check in at least every 7 days");
  });
});

describe("the job runner", () => {
  it("is on unless JOBS=off; the intervals are configurable", () => {
    const dev = { APP_ENV: "development" };
    expect(readConfig(dev)).toMatchObject({ jobsEnabled: true, remindersIntervalMinutes: 60, cullIntervalMinutes: 5 });
    expect(readConfig({ ...dev, JOBS: "off" }).jobsEnabled).toBe(false);
    expect(readConfig({ ...dev, JOBS: "false" }).jobsEnabled).toBe(false);
    expect(readConfig({ ...dev, JOBS: "ON" }).jobsEnabled).toBe(true);
    expect(readConfig({ ...dev, HEARTBEAT_CULL_INTERVAL_MINUTES: "0" }).cullIntervalMinutes).toBe(0);
    expect(() => readConfig({ ...dev, JOBS: "sometimes" })).toThrow(/JOBS/);
  });

  it("matches every N minutes from midnight UTC", () => {
    const five = everyMinutes(5);
    expect(five({ hour: 3, min: 10 })).toBe(true);
    expect(five({ hour: 3, min: 11 })).toBe(false);
    const hourly = everyMinutes(60);
    expect(hourly({ hour: 7, min: 0 })).toBe(true);
    expect(hourly({ hour: 7, min: 30 })).toBe(false);
    expect(everyMinutes(5000)({ hour: 0, min: 0 })).toBe(true);
    expect(everyMinutes(5000)({ hour: 12, min: 0 })).toBe(false);
  });

  it("two runners enqueue each cron run once; reminders and the cull go out through the jobs", async () => {
    const schema = `tz_jobs_test_${suffix()}`;
    // The tasks run at an injected time far ahead, so that only this test's licenses are due
    // (reminder runs are global, and other suites' reminders are theirs to send).
    const future = new Date("2200-01-01T00:00:00Z");
    const remind = await license("jobs-remind", { expiresAt: new Date(future.getTime() + 5 * DAY) });
    const silent = await license("jobs-cull", { expiresAt: new Date(future.getTime() + 300 * DAY) });
    const [silentId] = await installations(silent.id, [{ lastSeenAt: new Date(Date.now() - 8 * DAY) }]);
    const opts = {
      schema,
      reminderMinutes: 60,
      cullMinutes: 5,
      expiryMinutes: 0,
      cull: { licenseIds: [silent.id] },
      now: () => future,
      pollInterval: 200,
    };

    // First start: graphile-worker creates its schema (its own migrations).
    const first = startJobs(opts);
    await first.ready;
    await first.stop();
    // As if both tasks had been scheduled for hours and their last runs were missed: the next
    // start catches up the latest one of each (backfill), a cheap way to get runs at once.
    const known = sql.raw(`"${schema}"._private_known_crontabs`);
    await getDb().execute(sql`
      insert into ${known} (identifier, known_since, last_execution)
      values ('send-reminders', now() - interval '3 hours', null), ('cull-installations', now() - interval '3 hours', null)
      on conflict (identifier) do update set known_since = excluded.known_since, last_execution = null`);

    const runs: { task: string; ts: string; failed: boolean }[] = [];
    const events = new EventEmitter();
    type Completed = { job: { task_identifier: string; payload: unknown }; error: unknown };
    events.on("job:complete", ({ job, error }: Completed) => {
      const payload = job.payload as { _cron?: { ts: string } };
      runs.push({ task: job.task_identifier, ts: payload._cron?.ts ?? "", failed: Boolean(error) });
    });
    const startedAt = Date.now();
    const two = [startJobs({ ...opts, events }), startJobs({ ...opts, events })];
    try {
      await Promise.all(two.map((h) => h.ready));
      await expect.poll(() => new Set(runs.map((r) => r.task)).size, { timeout: 30_000, interval: 100 }).toBe(2);
      // Give a duplicate (if there were one) the time to show up.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      await Promise.all(two.map((h) => h.stop()));
    }

    const byRun = new Map<string, number>();
    for (const r of runs) byRun.set(`${r.task}@${r.ts}`, (byRun.get(`${r.task}@${r.ts}`) ?? 0) + 1);
    expect([...byRun.values()].every((n) => n === 1)).toBe(true);
    expect(runs.some((r) => r.failed)).toBe(false);
    // The caught-up reminders run is the last full hour's (UTC), the cull's the last 5-minute mark.
    const remindRun = new Date(runs.find((r) => r.task === "send-reminders")!.ts);
    expect(remindRun.getTime() % HOUR).toBe(0);
    expect(startedAt - remindRun.getTime()).toBeLessThanOrEqual(HOUR);
    const cullRun = new Date(runs.find((r) => r.task === "cull-installations")!.ts);
    expect(cullRun.getTime() % (5 * 60_000)).toBe(0);
    expect(startedAt - cullRun.getTime()).toBeLessThanOrEqual(5 * 60_000);

    // The reminder went out once, through the job.
    const kinds = await getDb()
      .select({ kind: reminders.kind })
      .from(reminders)
      .where(eq(reminders.licenseId, remind.id));
    expect(kinds.map((k) => k.kind)).toEqual(["expiry_7d"]);
    expect(await readOutbox({ to: remind.email })).toHaveLength(1);
    // The silent installation was culled once, through the job.
    expect((await rowsOf([silentId!])).get(silentId!)!.deactivatedBy).toBe("heartbeat");
    expect(await culledAudit([silent.id])).toHaveLength(1);
    expect(await readOutbox({ to: silent.email })).toHaveLength(1);

    // Nothing left behind in the queue.
    const [left] = await getDb().execute<{ n: number }>(
      sql`select count(*)::int as n from ${sql.raw(`"${schema}"._private_jobs`)}`,
    );
    expect(left!.n).toBe(0);
    await getDb().execute(sql.raw(`drop schema "${schema}" cascade`));
  });
});
