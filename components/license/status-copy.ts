/**
 * What each license state says to a person, in one place: the indicator's
 * word, the date that matters, the sentence, and the next step. The License &
 * Billing card and the Admin overview both read it, so a state never says two
 * things (a suspended license never reads "Expired on <a future date>" or
 * offers a renewal that cannot lift a suspension).
 */
import { isPaidPlanId } from "@ticketzero/core/license/plans";
import { supportEmail, supportHref } from "@ticketzero/core/license/support";
import type { LicenseStatusBody, StatusCode } from "@ticketzero/core/license/types";
import { formatDate, formatNumber } from "./format";
import { checkoutHref } from "./plan-picker";

export type NextStep = {
  label: string;
  href: string;
  /** renew/buy: a purchase fixes it; support: only TicketZero can; switch: use the replacement key. */
  kind: "renew" | "buy" | "support" | "switch";
};

export type StatusCopy = {
  /** The indicator's word ("Suspended"); its colour follows the status. */
  word: string;
  /** The date row of the card ("Expires on", "Expired on", "Works until"), or null when no date applies. */
  dateLabel: string | null;
  date: string | null;
  /** Days to show in the ring; null for a state where a count of days would mislead (suspended, revoked, ended). */
  days: number | null;
  message: string;
  /** The one thing to do next, or null when nothing needs doing. */
  nextStep: NextStep | null;
};

/** The indicator's word per status code (also for lists of licenses). */
export const STATUS_WORDS: Record<StatusCode, string> = {
  VALID: "Valid",
  EXPIRING_SOON: "Expiring soon",
  TRIAL: "Trial",
  SUPERSEDED_GRACE: "Replaced by an upgrade",
  LICENSE_EXPIRED: "Expired",
  LICENSE_SUPERSEDED: "Replaced",
  LICENSE_SUSPENDED: "Suspended",
  LICENSE_REVOKED: "Revoked",
  LICENSE_NOT_FOUND: "Not found",
};

/** The indicator's word for a status code. */
export function statusWord(code: StatusCode): string {
  return STATUS_WORDS[code];
}

const days = (n: number) => `${formatNumber(n)} ${n === 1 ? "day" : "days"}`;

/** The copy for a license's status; `licenseId` makes the renewal step point at this license. */
export function statusCopy(status: LicenseStatusBody, licenseId?: string): StatusCopy {
  const word = STATUS_WORDS[status.code];
  const license = status.license;
  if (!license) {
    return {
      word,
      dateLabel: null,
      date: null,
      days: null,
      message: "No license on this account yet. Activate a license key, start a free trial, or buy a plan.",
      nextStep: null,
    };
  }
  const plan = license.plan;
  const planName = license.planName;
  const trial = plan === "trial";
  const left = license.daysRemaining;
  const renew: NextStep = isPaidPlanId(plan)
    ? { label: `Renew ${planName}`, href: checkoutHref(plan, "renew", licenseId), kind: "renew" }
    : { label: "Buy a plan", href: "#plans", kind: "buy" };
  const support = (about: string): NextStep => ({
    label: "Contact support",
    href: supportHref(`${about}: ${license.key}`),
    kind: "support",
  });
  const replacement = status.replacement;

  switch (status.code) {
    case "VALID":
      return {
        word,
        dateLabel: "Expires on",
        date: license.expiresAt,
        days: left,
        message: `Your ${planName} license is active, ${days(left)} left.`,
        nextStep: null,
      };
    case "EXPIRING_SOON":
      return {
        word,
        dateLabel: "Expires on",
        date: license.expiresAt,
        days: left,
        message: `Your ${planName} license expires on ${formatDate(license.expiresAt)}, in ${days(left)}. Renew now to keep your installations running; your key stays the same.`,
        nextStep: renew,
      };
    case "TRIAL":
      return {
        word,
        dateLabel: "Trial ends on",
        date: license.expiresAt,
        days: left,
        message: `Your free trial runs until ${formatDate(license.expiresAt)}, ${days(left)} left. Buy a plan to keep TicketZero AI running after it.`,
        nextStep: { label: "Buy a plan", href: "#plans", kind: "buy" },
      };
    case "SUPERSEDED_GRACE": {
      const until = replacement?.graceEndsAt ?? license.expiresAt;
      return {
        word,
        dateLabel: "Works until",
        date: until,
        days: left,
        message: `This ${planName} key was replaced by your upgrade to ${replacement ? `${replacement.planName} (${replacement.key})` : "a new plan"}. It keeps working until ${formatDate(until)}, ${days(left)} from now: set the new key in each TicketZero AI installation before then.`,
        nextStep: null,
      };
    }
    case "LICENSE_EXPIRED":
      return {
        word,
        dateLabel: trial ? "Trial ended on" : "Expired on",
        date: license.expiresAt,
        days: null,
        message: trial
          ? `Your free trial ended on ${formatDate(license.expiresAt)} and its installations have stopped. Buy a plan to continue.`
          : `Your ${planName} license expired on ${formatDate(license.expiresAt)} and its installations have stopped. Renew to continue; your key stays the same.`,
        nextStep: renew,
      };
    case "LICENSE_SUPERSEDED": {
      const ended = replacement?.graceEndsAt ?? license.expiresAt;
      return {
        word,
        dateLabel: "Stopped on",
        date: ended,
        days: null,
        message: `This ${planName} key was replaced by ${replacement ? `${replacement.planName} (${replacement.key})` : "an upgrade"} and stopped working on ${formatDate(ended)}. Use the new key in your installations.`,
        nextStep: null,
      };
    }
    case "LICENSE_SUSPENDED":
      return {
        word,
        dateLabel: "Term ends on",
        date: license.expiresAt,
        days: null,
        message: `TicketZero has suspended this license: installations using it have stopped until it is reinstated. A renewal or a new purchase does not lift a suspension; contact support at ${supportEmail()} to resolve it.`,
        nextStep: support("Suspended license"),
      };
    case "LICENSE_REVOKED":
      return {
        word,
        dateLabel: null,
        date: null,
        days: null,
        message: `TicketZero has revoked this license: it no longer works and cannot be renewed. If you think this is a mistake, contact support at ${supportEmail()}.`,
        nextStep: support("Revoked license"),
      };
    case "LICENSE_NOT_FOUND":
      return { word, dateLabel: null, date: null, days: null, message: status.message, nextStep: null };
  }
}
