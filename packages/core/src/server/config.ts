/**
 * Every setting the server reads from the environment, validated once by one
 * zod schema. The README's "Configuration" table documents each of them.
 *
 * APP_ENV=production (what `npm start` means unless told otherwise) refines it:
 * the server refuses to start without its secrets, Stripe, SMTP and
 * PUBLIC_URL, and names every missing one. Development — the dev outbox,
 * generated secrets, test-mode checkout — only runs when APP_ENV=development
 * (`npm run dev`, `npm run demo`, or set explicitly).
 */
import path from "node:path";
import { z } from "zod";

/** Unset and "" both mean "use the default". */
const blankIsUnset = (value: unknown) => (value === "" ? undefined : value);
const count = (fallback: number) =>
  z.preprocess(blankIsUnset, z.coerce.number().int("must be a whole number").min(0, "must be ≥ 0").default(fallback));
const optionalText = z.preprocess(blankIsUnset, z.string().optional());
const optionalUrl = z.preprocess(blankIsUnset, z.url().optional());

/** Settings that production cannot run without (test-mode checkout and the dev outbox are for development). */
export const PRODUCTION_REQUIRED = [
  "PUBLIC_URL",
  "AUTH_SECRET",
  "LICENSE_HMAC_SECRET",
  "LICENSE_ENCRYPTION_KEYS",
  "LICENSE_SIGNING_KEYS",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "SMTP_URL",
] as const;

const EnvSchema = z
  .object({
    APP_ENV: z.preprocess(blankIsUnset, z.enum(["production", "development"]).default("production")),
    NODE_ENV: optionalText,
    PORT: count(3000),
    PUBLIC_URL: optionalUrl,
    DATA_DIR: z.preprocess(blankIsUnset, z.string().default(".data")),
    DATABASE_URL: optionalUrl,
    DATABASE_SESSION_URL: optionalUrl,
    DB_POOL_SIZE: count(10),
    AUTH_SECRET: optionalText,
    LICENSE_HMAC_SECRET: optionalText,
    LICENSE_ENCRYPTION_KEYS: optionalText,
    LICENSE_SIGNING_KEYS: optionalText,
    STRIPE_SECRET_KEY: optionalText,
    STRIPE_WEBHOOK_SECRET: optionalText,
    STRIPE_API_BASE: optionalUrl,
    SMTP_URL: optionalUrl,
    MAIL_FROM: z.preprocess(blankIsUnset, z.string().default("TicketZero <licenses@ticketzero.local>")),
    STAFF_EMAILS: optionalText,
    SUPPORT_EMAIL: z.preprocess(blankIsUnset, z.email("must be an email address").default("support@ticketzero.ai")),
    TRUST_PROXY: z.preprocess(
      (value) => (value === "" || value === undefined || value === "false" ? "0" : value === "true" ? "1" : value),
      z.coerce.number().int().min(0).max(10, "is a number of proxies (0-10)"),
    ),
    MAX_BODY_BYTES: count(16 * 1024),
    REQUEST_DEADLINE_MS: count(1500),
    // At most 30 days: the swap allowance is counted over 30 days (see license/slots.ts).
    CERTIFICATE_TTL_SECONDS: count(7 * 24 * 3600).pipe(z.number().max(30 * 24 * 3600, "is at most 30 days (2592000)")),
    CHECK_IN_WRITE_SECONDS: count(60),
    STATUS_CACHE_SECONDS: count(60).pipe(z.number().max(3600, "is at most 3600")),
    STATUS_CACHE_MAX_LICENSES: count(20_000),
    UPGRADE_GRACE_DAYS: count(14),
    // A license file (air-gapped installations) is renewed by hand: long, but not past a year.
    OFFLINE_LICENSE_MAX_DAYS: count(90).pipe(z.number().min(1, "is at least 1").max(366, "is at most 366 days")),
    REMINDERS_INTERVAL_MINUTES: count(60),
    JOBS: z.preprocess(
      (value) => {
        const v = typeof value === "string" ? value.trim().toLowerCase() : value;
        if (v === "" || v === undefined || v === "1" || v === "true" || v === "yes") return "on";
        if (v === "0" || v === "false" || v === "no") return "off";
        return v;
      },
      z.enum(["on", "off"], "is on or off"),
    ),
    HEARTBEAT_CULL_INTERVAL_MINUTES: count(5),
    RATE_LIMIT_KEY_PER_MINUTE: count(600),
    RATE_LIMIT_FAILED_LOOKUPS: count(20),
    RATE_LIMIT_FAILED_LOOKUPS_WINDOW: count(600),
    RATE_LIMIT_FAILED_LOOKUPS_BLOCK: count(900),
    RATE_LIMIT_FAILED_LOOKUPS_FIRST_BLOCK: count(60),
    RATE_LIMIT_FAILED_LOOKUPS_REPEAT_WINDOW: count(24 * 3600),
    RATE_LIMIT_TRIALS_PER_HOUR: count(5),
    RATE_LIMIT_ACTIVATIONS_PER_HOUR: count(60),
    RATE_LIMIT_REQUEST_FILES_PER_HOUR: count(30),
    RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR: count(30),
    WEBHOOK_TIMEOUT_MS: count(10_000).pipe(z.number().min(100, "is at least 100").max(60_000, "is at most 60000")),
    // Fractions allowed: tests retry within a second.
    WEBHOOK_RETRY_BASE_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().positive("must be > 0").default(30)),
    WEBHOOK_RETENTION_DAYS: count(30).pipe(z.number().min(1, "is at least 1")),
    WEBHOOK_RETRY_WINDOW_HOURS: z.preprocess(blankIsUnset, z.coerce.number().min(0, "must be ≥ 0").default(72)),
    // Explicit opt-in only, and never in production: http:// and private/loopback targets (development, tests).
    WEBHOOK_ALLOW_PRIVATE_TARGETS: z.preprocess(
      (value) => (value === "" || value === undefined ? "false" : String(value).trim().toLowerCase()),
      z.enum(["true", "false"], "is true or false"),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.APP_ENV !== "production") return;
    for (const name of PRODUCTION_REQUIRED) {
      if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "is required in production" });
    }
    if (env.WEBHOOK_ALLOW_PRIVATE_TARGETS === "true") {
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_ALLOW_PRIVATE_TARGETS"],
        message: "is for development only: in production webhooks go to public https:// addresses",
      });
    }
    if (env.AUTH_SECRET && env.AUTH_SECRET.length < 32) {
      ctx.addIssue({ code: "custom", path: ["AUTH_SECRET"], message: "needs at least 32 characters" });
    }
  });

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function readConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")} ${issue.message}`);
    const production = env.APP_ENV === undefined || env.APP_ENV === "" || env.APP_ENV === "production";
    throw new ConfigError(
      `The TicketZero License Portal cannot start with this configuration${production ? " (APP_ENV=production)" : ""}:\n${problems.join("\n")}\n` +
        (production ? "For a local run use `npm run dev` or `npm run demo`, or set APP_ENV=development.\n" : ""),
    );
  }
  const e = parsed.data;
  const isProduction = e.APP_ENV === "production";
  return {
    appEnv: e.APP_ENV,
    isProduction,
    /** `next dev` (the launcher's --dev): its CSP needs eval and a websocket. */
    devServer: e.NODE_ENV === "development",
    port: e.PORT,
    // Runtime data, not source: keep it out of the build's file tracing.
    dataDir: path.resolve(/*turbopackIgnore: true*/ e.DATA_DIR),
    databaseUrl: e.DATABASE_URL ?? null,
    poolSize: e.DB_POOL_SIZE,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
    authSecret: e.AUTH_SECRET ?? null,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY ?? null,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? null,
      apiBase: e.STRIPE_API_BASE ?? null,
    },
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM,
    staffEmails: e.STAFF_EMAILS ?? "",
    /** Where customers reach support: every "contact support" links here (license/support.ts). */
    supportEmail: e.SUPPORT_EMAIL,
    /** How many proxies of the operator's stand in front (X-Forwarded-For hops counted from the right); 0: none. */
    trustedProxyHops: e.TRUST_PROXY,
    maxBodyBytes: e.MAX_BODY_BYTES,
    /** An API request not answered by then gets 503 UNAVAILABLE (a database that stopped answering). */
    requestDeadlineMs: e.REQUEST_DEADLINE_MS,
    /** Offline certificate lifetime (capped by the license's expiry). */
    certificateTtlSeconds: e.CERTIFICATE_TTL_SECONDS,
    /** How often an installation's last check-in is written, at most. */
    checkInWriteSeconds: e.CHECK_IN_WRITE_SECONDS,
    /**
     * The status cache (license/status-cache.ts): how long a license's facts may be answered from
     * memory at most (0: no cache), and how many licenses it holds. Changes reach it by NOTIFY at once.
     */
    statusCache: { seconds: e.STATUS_CACHE_SECONDS, maxLicenses: e.STATUS_CACHE_MAX_LICENSES },
    upgradeGraceDays: e.UPGRADE_GRACE_DAYS,
    /** Longest validity of an air-gapped installation's license file (capped by the license's expiry). */
    offlineLicenseMaxDays: e.OFFLINE_LICENSE_MAX_DAYS,
    /** Minutes between reminder-mail runs (a job-runner cron task, once per schedule across all app processes; 0: none). */
    remindersIntervalMinutes: e.REMINDERS_INTERVAL_MINUTES,
    /** The PostgreSQL job runner (graphile-worker) in each app process; JOBS=off for tools and tests. */
    jobsEnabled: e.JOBS === "on",
    /** Minutes between runs of the heartbeat cull (silent installations deactivated; 0: none). */
    cullIntervalMinutes: e.HEARTBEAT_CULL_INTERVAL_MINUTES,
    webhooks: {
      /** An attempt not answered (2xx) within this is a failure. */
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      /** Retry n waits base × 2^n (capped at 12 h, with jitter)… */
      retryBaseSeconds: e.WEBHOOK_RETRY_BASE_SECONDS,
      /** …for this long from a delivery's first attempt; then it is given up and the endpoint disabled. */
      retryWindowHours: e.WEBHOOK_RETRY_WINDOW_HOURS,
      /** Days the delivery log keeps an event (with its deliveries and attempts) once nothing is pending. */
      retentionDays: e.WEBHOOK_RETENTION_DAYS,
      /** http:// and private, loopback and link-local targets (development and tests only; warned at start-up). */
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === "true",
    },
    rateLimits: {
      /** Requests per key per minute, all installation endpoints together. */
      perKeyPerMinute: e.RATE_LIMIT_KEY_PER_MINUTE,
      /** Failed key lookups (unknown or malformed keys) answered per IP per window; the next one blocks the IP. */
      failedLookupsPerIp: e.RATE_LIMIT_FAILED_LOOKUPS,
      failedLookupsWindowSeconds: e.RATE_LIMIT_FAILED_LOOKUPS_WINDOW,
      /** The first block's length; each further block within the repeat window doubles it… */
      failedLookupsFirstBlockSeconds: e.RATE_LIMIT_FAILED_LOOKUPS_FIRST_BLOCK,
      /** …up to this cap. */
      failedLookupsBlockSeconds: e.RATE_LIMIT_FAILED_LOOKUPS_BLOCK,
      failedLookupsRepeatWindowSeconds: e.RATE_LIMIT_FAILED_LOOKUPS_REPEAT_WINDOW,
      trialsPerIpPerHour: e.RATE_LIMIT_TRIALS_PER_HOUR,
      /** New slots (installations) created per license per hour (consumeNewSlotBudget). */
      newSlotsPerLicensePerHour: e.RATE_LIMIT_ACTIVATIONS_PER_HOUR,
      /** Air-gapped request files checked per license per hour (each costs a PBKDF2 derivation). */
      requestFilesPerLicensePerHour: e.RATE_LIMIT_REQUEST_FILES_PER_HOUR,
      /** Activation attempts per (license, instance id) per hour. */
      activationAttemptsPerInstancePerHour: e.RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR,
    },
  };
}

export type AppConfig = ReturnType<typeof readConfig>;

let cached: AppConfig | null = null;
export function config(): AppConfig {
  cached ??= readConfig();
  return cached;
}

/** For tests that change the environment. */
export function resetConfig(): void {
  cached = null;
}
