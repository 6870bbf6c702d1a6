/**
 * Every setting the server reads from the environment, read once. The README's
 * "Configuration" table documents each of them.
 */
import path from "node:path";

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
};

function trustedProxyHops(raw: string | undefined): number {
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return 0;
  if (raw === "true") return 1;
  const hops = Number(raw);
  if (!Number.isInteger(hops) || hops < 0 || hops > 10)
    throw new Error(`TRUST_PROXY must be a number of proxies (0-10), got "${raw}"`);
  return hops;
}

export type AppConfig = ReturnType<typeof readConfig>;

export function readConfig() {
  const appEnv = process.env.APP_ENV === "production" ? "production" : "development";
  return {
    /** `production` demands real secrets, Stripe keys and SMTP, and hides the dev outbox. */
    appEnv,
    isProduction: appEnv === "production",
    /** `next dev` (the launcher's --dev): its CSP needs eval and a websocket. */
    devServer: process.env.NODE_ENV === "development",
    // Runtime data, not source: keep it out of the build's file tracing.
    dataDir: path.resolve(/*turbopackIgnore: true*/ process.env.DATA_DIR || ".data"),
    databaseUrl: process.env.DATABASE_URL || null,
    publicUrl: (process.env.PUBLIC_URL || `http://localhost:${process.env.PORT || 3000}`).replace(/\/$/, ""),
    /** How many proxies of the operator's stand in front (X-Forwarded-For hops counted from the right); 0: none. */
    trustedProxyHops: trustedProxyHops(process.env.TRUST_PROXY),
    maxBodyBytes: int("MAX_BODY_BYTES", 16 * 1024),
    /** An API request not answered by then gets 503 UNAVAILABLE (a database that stopped answering). */
    requestDeadlineMs: int("REQUEST_DEADLINE_MS", 1500),
    /** Offline certificate lifetime (capped by the license's expiry). */
    certificateTtlSeconds: int("CERTIFICATE_TTL_SECONDS", 7 * 24 * 3600),
    /** How often an installation's last check-in is written, at most. */
    checkInWriteSeconds: int("CHECK_IN_WRITE_SECONDS", 60),
    upgradeGraceDays: int("UPGRADE_GRACE_DAYS", 14),
    /** Minutes between reminder-mail runs in each app process (0: none; the first runs a minute after start). */
    remindersIntervalMinutes: int("REMINDERS_INTERVAL_MINUTES", 60),
    rateLimits: {
      /** Requests per key per minute, all installation endpoints together. */
      perKeyPerMinute: int("RATE_LIMIT_KEY_PER_MINUTE", 600),
      /** Failed key lookups (unknown or malformed keys) per IP before a block. */
      failedLookupsPerIp: int("RATE_LIMIT_FAILED_LOOKUPS", 20),
      failedLookupsWindowSeconds: int("RATE_LIMIT_FAILED_LOOKUPS_WINDOW", 600),
      failedLookupsBlockSeconds: int("RATE_LIMIT_FAILED_LOOKUPS_BLOCK", 900),
      trialsPerIpPerHour: int("RATE_LIMIT_TRIALS_PER_HOUR", 5),
      activationsPerLicensePerHour: int("RATE_LIMIT_ACTIVATIONS_PER_HOUR", 60),
    },
  };
}

let cached: AppConfig | null = null;
export function config(): AppConfig {
  cached ??= readConfig();
  return cached;
}

/** For tests that change the environment. */
export function resetConfig(): void {
  cached = null;
}
