/**
 * The PostgreSQL job runner: graphile-worker, inside each app process, on the
 * app's own database (DATABASE_URL: the given PostgreSQL, or the embedded
 * server's URL that bootstrapDatabase() set), in its own schema
 * (`graphile_worker`), created and upgraded by its own migrations when it
 * starts (under an advisory lock, so app processes starting together are fine).
 *
 * Recurring tasks are graphile-worker cron items: each runner computes the
 * schedule, and a conditional upsert on its `_private_known_crontabs` table
 * lets exactly one runner enqueue the job for each scheduled minute, however
 * many app processes run; one runner then takes the job (`SKIP LOCKED`). Each
 * recurring task has its own named queue, so two runs of one task never
 * overlap. A runner that starts after a missed run (the app was down) catches
 * up that one run (backfill of one interval).
 *
 *   send-reminders      every REMINDERS_INTERVAL_MINUTES (60; 0 = off)       license/reminders.ts
 *   cull-installations  every HEARTBEAT_CULL_INTERVAL_MINUTES (5; 0 = off)   license/heartbeats.ts
 *   prune-rate-limits   every 10 minutes: expired rate-limit counters         server/rate-limit.ts
 *   record-expiries     every 5 minutes: license.expired, once per expiry     license/reminders.ts
 *   prune-webhooks      every hour: delivery log older than WEBHOOK_RETENTION_DAYS   license/webhooks.ts
 *   refresh-figures     every 5 minutes: the back office overview's figures, once licenses are many   license/backoffice.ts
 *   send-mail           a notice that failed to send, retried with backoff
 *   schedule-webhooks   every minute: the outbox's safety net           license/webhook-delivery.ts
 *   deliver-webhooks    one stream's deliveries (queue per endpoint + license)
 *   recover-jobs        every minute: jobs of a process that died, given back (no queue)  server/job-recovery.ts
 *
 * Webhooks: each runner also LISTENs on `tz_webhook_events` (its own pg
 * connection, reconnected with a backoff when the database goes away); a
 * notification, or the cron, runs the scheduler, which queues one
 * `deliver-webhooks` job per stream in the transaction that marks the
 * deliveries. A stream's queue runs one job at a time across all processes.
 *
 * Small: up to 3 jobs at a time per process (so one slow webhook endpoint —
 * 10 s timeout, a job yields after 30 s — cannot hold the reminders or the
 * cull back for long), a pool of 4 connections (pg), quiet logs (warnings and
 * errors only). JOBS=off turns it off. stop() finishes the running jobs
 * (graphile-worker's graceful shutdown) and closes its pool.
 */
import type { EventEmitter } from "node:events";
import { Logger, parseCronItems, type Runner, run, type Task, type TaskList, type WorkerEvents } from "graphile-worker";
import { isDatabaseUnavailable, sessionDatabaseUrl, withApplicationName } from "../db/client";
import { listen } from "../db/listen";
import { figuresFromSnapshot, refreshFigures } from "../license/backoffice";
import { type CullOptions, cullSilentInstallations } from "../license/heartbeats";
import { recordExpiries, sendDueReminders } from "../license/reminders";
import {
  DELIVER_TASK,
  DELIVERY_PRIORITY,
  type DeliverySettings,
  deliverStream,
  deliverySettings,
  endpointQueue,
  scheduleDeliveries,
  streamKey,
} from "../license/webhook-delivery";
import { WEBHOOK_NOTIFY_CHANNEL } from "../license/webhook-events";
import { pruneWebhookHistory } from "../license/webhooks";
import { config } from "./config";
import { keepPoolLeases, RECOVER_AFTER_SECONDS, recoverStoppedWorkers, runnerEvents } from "./job-recovery";
import { type Mail, sendMail } from "./mail";
import { printable } from "./outbound-http";
import { pruneRateLimits } from "./rate-limit";

export const JOBS_SCHEMA = "graphile_worker";
const POOL_SIZE = 4;
const CONCURRENCY = 3;
const MAIL_ATTEMPTS = 10;
const RESTART_DELAY_MS = 10_000;

export type JobsOptions = {
  connectionString?: string;
  /** graphile-worker's schema (tests use their own). */
  schema?: string;
  /** Minutes between reminder runs; default REMINDERS_INTERVAL_MINUTES; 0: none. */
  reminderMinutes?: number;
  /** Minutes between heartbeat culls; default HEARTBEAT_CULL_INTERVAL_MINUTES; 0: none. */
  cullMinutes?: number;
  /** Minutes between prunes of expired rate-limit counters; default 10; 0: none. */
  pruneMinutes?: number;
  /** Minutes between runs recording expired licenses (license.expired events); default 5; 0: none. */
  expiryMinutes?: number;
  /** Minutes between refreshes of the overview's figures snapshot (only at scale); default 5; 0: none. */
  figuresMinutes?: number;
  /** Passed to every cull (tests scope it to their licenses). */
  cull?: Omit<CullOptions, "db">;
  /** The tasks' clock (tests inject one so that only their own licenses are due); the real time by default. */
  now?: () => Date;
  /** graphile-worker's events (tests count jobs). */
  events?: WorkerEvents;
  /** Recovery of a dead process's jobs (tests: seconds, not minutes). */
  recovery?: {
    /** A job held this long by a pool whose lease is as old is given back (default 120 s). */
    afterSeconds?: number;
    /** How often this runner refreshes its pools' leases (default 15 s). */
    leaseRefreshMs?: number;
  };
  pollInterval?: number;
  /** Webhook delivery: settings (tests: a tiny retry base, an allowed local receiver) and a scope. */
  webhooks?: Partial<DeliverySettings> & {
    /** Only these endpoints' deliveries (tests sharing a database); all when absent. */
    endpointIds?: string[];
    /** LISTEN for new events (default true); the cron sweep runs regardless. */
    listen?: boolean;
  };
};

export type JobsHandle = {
  /** Resolves once the runner has migrated its schema and is taking jobs. */
  ready: Promise<void>;
  stop(): Promise<void>;
};

/** The runner's connections name themselves in pg_stat_activity. */
const jobsUrl = (url: string) => withApplicationName(url, "ticketzero-license-portal-jobs");

/** Error text for logs, with anything shaped like a license key masked. */
function safeMessage(error: unknown): string {
  if (isDatabaseUnavailable(error)) return "database unavailable";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/TZ-[A-Z]{3,5}(-[0-9A-Z]{4,8})+/gi, (k) => `${k.slice(0, k.indexOf("-", 3))}-****`);
}

/**
 * A cron matcher for "every N minutes", counted from midnight UTC (graphile-worker
 * matches minute by minute on UTC fields). N that divides 1,440 gives an even
 * schedule (5 → :00, :05, …; 60 → every hour on the hour); any other N restarts
 * at midnight; N ≥ 1,440 is once a day at 00:00 UTC.
 */
export function everyMinutes(n: number): (digest: { hour: number; min: number }) => boolean {
  const step = Math.min(Math.max(1, Math.floor(n)), 1_440);
  return ({ hour, min }) => (hour * 60 + min) % step === 0;
}

const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[jobs] ${safeMessage(message)}`);
});

/** The tasks; each recurring one logs its failures and returns (the next schedule runs it again). */
function tasks(opts: JobsOptions): TaskList {
  const now = opts.now ?? (() => new Date());
  const schema = opts.schema ?? JOBS_SCHEMA;
  const sendReminders: Task = async () => {
    try {
      const result = await sendDueReminders(now());
      if (result.sent || result.failed) {
        const kinds = Object.entries(result.byKind)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(", ");
        console.info(
          `[reminders] sent ${result.sent}${kinds ? ` (${kinds})` : ""}${result.failed ? `, ${result.failed} failed` : ""}`,
        );
      }
    } catch (error) {
      console.error(`[reminders] run failed: ${safeMessage(error)}`);
    }
  };

  const cullInstallations: Task = async (_payload, helpers) => {
    try {
      const result = await cullSilentInstallations(now(), opts.cull);
      if (result.culled.length) {
        console.info(
          `[heartbeats] deactivated ${result.culled.length} silent installation(s); ${result.mailed} notice(s) sent${result.failedMails.length ? `, ${result.failedMails.length} queued for retry` : ""}`,
        );
      }
      for (const failed of result.failedMails) {
        console.error(
          `[heartbeats] notice for ${failed.installation.keyMasked} not sent: ${safeMessage(failed.error)}`,
        );
        await helpers.addJob("send-mail", failed.mail, {
          jobKey: `culled-notice:${failed.installation.activationId}`,
          maxAttempts: MAIL_ATTEMPTS,
        });
      }
    } catch (error) {
      console.error(`[heartbeats] cull failed: ${safeMessage(error)}`);
    }
  };

  const pruneCounters: Task = async () => {
    try {
      // Wall-clock time, not the tasks' injectable clock: counters expire by the real time.
      // Bounded batches per run; what is left waits for the next run.
      await pruneRateLimits();
    } catch (error) {
      console.error(`[rate-limits] prune failed: ${safeMessage(error)}`);
    }
  };

  const recordExpiredLicenses: Task = async () => {
    try {
      const recorded = await recordExpiries(now());
      if (recorded) console.info(`[licenses] ${recorded} license(s) expired`);
    } catch (error) {
      console.error(`[licenses] recording expiries failed: ${safeMessage(error)}`);
    }
  };

  const refreshOverviewFigures: Task = async () => {
    try {
      if (await figuresFromSnapshot()) await refreshFigures(now());
    } catch (error) {
      console.error(`[staff] refreshing the overview figures failed: ${safeMessage(error)}`);
    }
  };

  const pruneWebhooks: Task = async () => {
    try {
      await pruneWebhookHistory();
    } catch (error) {
      console.error(`[webhooks] pruning the delivery log failed: ${safeMessage(error)}`);
    }
  };

  const sendMailTask: Task = async (payload, helpers) => {
    try {
      await sendMail(payload as Mail);
    } catch (error) {
      if (helpers.job.attempts < helpers.job.max_attempts) throw error; // retried with backoff
      console.error(`[jobs] gave up on a mail after ${helpers.job.attempts} attempts: ${safeMessage(error)}`);
    }
  };

  const recoverJobs: Task = async () => {
    try {
      const pools = await recoverStoppedWorkers(schema, opts.recovery?.afterSeconds ?? RECOVER_AFTER_SECONDS);
      if (pools.length)
        console.error(`[jobs] gave back the jobs of ${pools.length} worker pool(s) whose process is gone`);
    } catch (error) {
      console.error(`[jobs] recovering jobs failed: ${safeMessage(error)}`);
    }
  };

  const scheduleWebhooks: Task = async () => {
    try {
      await scheduleDeliveries({ jobsSchema: schema, sweep: true, endpointIds: opts.webhooks?.endpointIds });
    } catch (error) {
      console.error(`[webhooks] scheduling failed: ${safeMessage(error)}`);
    }
  };

  const deliverWebhooks: Task = async (payload, helpers) => {
    const { endpointId, stream } = payload as { endpointId: string; stream: string };
    const settings = deliverySettings({ now, ...opts.webhooks, signal: helpers.abortSignal, jobsSchema: schema });
    let result: Awaited<ReturnType<typeof deliverStream>>;
    try {
      result = await deliverStream(endpointId, stream, settings);
    } catch (error) {
      // graphile-worker stores the error's text: a short, clean one (never a query with its payload).
      // It retries the job with its backoff (the database was away).
      throw new Error(`webhook stream ${endpointId}/${stream}: ${printable(safeMessage(error)).slice(0, 200)}`);
    }
    if (result.disabled) console.error(`[webhooks] endpoint ${endpointId} disabled after its retry window`);
    for (const failed of result.failedMails) {
      console.error(`[webhooks] staff notice to ${failed.mail.to} not sent: ${safeMessage(failed.error)}`);
      await helpers.addJob("send-mail", failed.mail, { maxAttempts: MAIL_ATTEMPTS });
    }
    if (result.next) {
      // The scheduling clock may be a test's: wait as long as it says, in real time.
      const wait = Math.max(0, result.next.getTime() - settings.now().getTime());
      const key = streamKey(endpointId, stream);
      await helpers.addJob(
        DELIVER_TASK,
        { endpointId, stream },
        {
          queueName: endpointQueue(endpointId),
          jobKey: key,
          priority: DELIVERY_PRIORITY,
          runAt: new Date(Date.now() + wait),
          maxAttempts: 10,
        },
      );
    }
  };

  return {
    "schedule-webhooks": scheduleWebhooks,
    "recover-jobs": recoverJobs,
    [DELIVER_TASK]: deliverWebhooks,
    "send-reminders": sendReminders,
    "cull-installations": cullInstallations,
    "prune-rate-limits": pruneCounters,
    "record-expiries": recordExpiredLicenses,
    "prune-webhooks": pruneWebhooks,
    "refresh-figures": refreshOverviewFigures,
    "send-mail": sendMailTask,
  };
}

function cronItems(opts: JobsOptions) {
  const reminders = opts.reminderMinutes ?? config().remindersIntervalMinutes;
  const cull = opts.cullMinutes ?? config().cullIntervalMinutes;
  const items = [];
  for (const [task, minutes] of [
    ["send-reminders", reminders],
    ["cull-installations", cull],
    ["prune-rate-limits", opts.pruneMinutes ?? 10],
    ["record-expiries", opts.expiryMinutes ?? 5],
    ["prune-webhooks", opts.pruneMinutes ?? 60],
    ["refresh-figures", opts.figuresMinutes ?? 5],
    ["schedule-webhooks", 1],
    ["recover-jobs", 1],
  ] as const) {
    if (minutes <= 0) continue;
    items.push({
      minutes,
      task,
      identifier: task,
      match: everyMinutes(minutes),
      options: {
        // A run missed while no app process was up is caught up once at the next start
        // (not the webhook sweep: the listener's first pass at start does its work; nor recovery).
        backfillPeriod: task === "schedule-webhooks" || task === "recover-jobs" ? 0 : Math.min(minutes, 1_440) * 60_000,
        // Its own queue keeps two runs of a task apart; not recovery's, which must run when a dead
        // process holds its queue (its job key already makes it one run at a time).
        ...(task === "recover-jobs" ? {} : { queueName: task }),
        jobKey: `cron:${task}`,
        maxAttempts: 1,
      },
    });
  }
  return items;
}

/** What the start-up line says about the schedule. */
export function describeSchedule(opts: JobsOptions = {}): string {
  const parts = cronItems(opts).map((item) => `${item.task} every ${item.minutes} min`);
  return parts.length ? parts.join(", ") : "no recurring tasks";
}

/**
 * Runs `work` when poked, never twice at once: pokes during a run make one
 * more run after it (a burst of events is one scheduling pass or two).
 */
function coalesced(work: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const go = async () => {
    running = true;
    try {
      do {
        again = false;
        await work();
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) again = true;
    else void go();
  };
}

/**
 * Starts the job runner and keeps it running: a start that fails (the
 * database is not there yet) or a runner that stops on an error is retried
 * every 10 s until stop().
 */
export function startJobs(opts: JobsOptions = {}): JobsHandle {
  let runner: Runner | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  // This runner's pools hold leases while they live (server/job-recovery.ts).
  const events = runnerEvents(opts.events as unknown as EventEmitter | undefined);
  const leases = keepPoolLeases(events, opts.recovery?.leaseRefreshMs);

  const relaunch = () => {
    retry = setTimeout(() => {
      launching = launch();
    }, RESTART_DELAY_MS);
    retry.unref();
  };
  const launch = async () => {
    retry = null;
    if (stopped) return;
    try {
      const started = await run({
        connectionString: jobsUrl(opts.connectionString ?? sessionDatabaseUrl()),
        maxPoolSize: POOL_SIZE,
        schema: opts.schema ?? JOBS_SCHEMA,
        concurrency: CONCURRENCY,
        noHandleSignals: true,
        pollInterval: opts.pollInterval ?? 2_000,
        logger: quietLogger,
        taskList: tasks(opts),
        crontab: "",
        parsedCronItems: parseCronItems(cronItems(opts).map(({ minutes: _, ...item }) => item)),
        events: events as unknown as WorkerEvents,
      });
      if (stopped) {
        await started.stop();
        return;
      }
      runner = started;
      markReady();
      // graphile-worker 0.18 resolves the promise however its pool ended (an error included): a runner
      // that ends while it should run is started again.
      const ended = (error?: unknown) => {
        if (runner !== started) return;
        runner = null;
        if (stopped) return;
        // A breaking-migration notice from another schema sets exit code 57; this process is not exiting.
        if (process.exitCode === 57) process.exitCode = undefined;
        const why = error === undefined ? "it ended" : safeMessage(error);
        console.error(`[jobs] runner stopped (${why}); restarting in ${RESTART_DELAY_MS / 1000} s`);
        relaunch();
      };
      started.promise.then(() => ended(), ended);
    } catch (error) {
      if (stopped) return;
      console.error(`[jobs] could not start: ${safeMessage(error)}; retrying in ${RESTART_DELAY_MS / 1000} s`);
      relaunch();
    }
  };
  let launching: Promise<void> | null = launch();

  // New webhook events: the scheduler runs on each notification (once the runner's schema exists).
  let listener: { stop(): Promise<void> } | null = null;
  if (opts.webhooks?.listen !== false) {
    const schedule = coalesced(async () => {
      try {
        await scheduleDeliveries({ jobsSchema: opts.schema ?? JOBS_SCHEMA, endpointIds: opts.webhooks?.endpointIds });
      } catch (error) {
        console.error(`[webhooks] scheduling failed: ${safeMessage(error)}`);
      }
    });
    void ready.then(() => {
      if (!stopped)
        // Each notification, and each (re)connect (events committed while it was away), runs a pass.
        listener = listen(jobsUrl(opts.connectionString ?? sessionDatabaseUrl()), WEBHOOK_NOTIFY_CHANNEL, {
          onNotification: schedule,
          onConnect: schedule,
        });
    });
  }

  return {
    ready,
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await listener?.stop();
      await launching; // a start under way finishes (and, seeing `stopped`, stops its runner)
      launching = null;
      const current = runner;
      runner = null;
      if (current) await current.stop().catch((error: unknown) => console.error(`[jobs] stop: ${safeMessage(error)}`));
      await leases.stop();
    },
  };
}
