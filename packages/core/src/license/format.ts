/**
 * The one date and number format of the portal, its mails and its messages:
 * "Dec 21, 2026" (UTC, so server, browser and mail agree) and "4,200".
 * Pure (no Node.js APIs): client components import it through
 * components/license/format.ts.
 */
const dateFmt = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
const dateTimeFmt = new Intl.DateTimeFormat("en-US", {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "UTC",
  timeZoneName: "short",
});
const monthFmt = new Intl.DateTimeFormat("en-US", { month: "short", timeZone: "UTC" });
const monthYearFmt = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
const numberFmt = new Intl.NumberFormat("en-US");

function toDate(value: string | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "Nov 29, 2026" (UTC, so server and client agree). */
export function formatDate(value: string | Date): string {
  const d = toDate(value);
  return d ? dateFmt.format(d) : "—";
}

/** "Nov 29, 2026, 07:52 AM UTC". */
export function formatDateTime(value: string | Date): string {
  const d = toDate(value);
  return d ? dateTimeFmt.format(d) : "—";
}

export function formatNumber(n: number): string {
  return numberFmt.format(n);
}

function periodDate(period: string): Date | null {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
}

/** "2026-11" → "Nov". */
export function formatPeriodShort(period: string): string {
  const d = periodDate(period);
  return d ? monthFmt.format(d) : period;
}

/** "2026-11" → "November 2026". */
export function formatPeriodLong(period: string): string {
  const d = periodDate(period);
  return d ? monthYearFmt.format(d) : period;
}

/** "just now", "5 minutes ago", "3 hours ago", "12 days ago". */
export function formatRelative(value: string | Date, now: Date = new Date()): string {
  const d = toDate(value);
  if (!d) return "never";
  const seconds = Math.round((now.getTime() - d.getTime()) / 1000);
  if (seconds < 60) return "just now";
  const rtf = new Intl.RelativeTimeFormat("en-US", { numeric: "auto" });
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return rtf.format(-minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours < 24) return rtf.format(-hours, "hour");
  const days = Math.round(hours / 24);
  if (days < 60) return rtf.format(-days, "day");
  return rtf.format(-Math.round(days / 30), "month");
}

/** Whole days between two ISO dates (at least 1). */
export function termDays(issuedAt: string, expiresAt: string): number {
  const a = toDate(issuedAt);
  const b = toDate(expiresAt);
  if (!a || !b) return 365;
  return Math.max(1, Math.round((b.getTime() - a.getTime()) / 86_400_000));
}
