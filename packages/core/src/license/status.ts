/**
 * Pure status computation: the indicator, code, message, days remaining,
 * warnings and upgrade advice that people and installations see. No I/O, so
 * the hot path, the admin panel and the CLI all agree.
 */
import { formatDate, formatDateTime, formatNumber } from "./format";
import { maskKey } from "./keys";
import { featureList, nextPlanUp, PLANS, type PlanId, type PlanLimits } from "./plans";
import { supportEmail } from "./support";
import type {
  ActivationSummary,
  LicenseStatusBody,
  Replacement,
  SlotSummary,
  StatusCode,
  StatusIndicator,
  Usage,
  Warning,
} from "./types";

const DAY_MS = 86_400_000;
export const EXPIRING_SOON_DAYS = 30;
export const NEAR_LIMIT_RATIO = 0.8;

/** The license fields status needs (a row of `licenses`, or the hot path's projection of it). */
export type LicenseFacts = {
  id: string;
  plan: PlanId;
  state: string;
  keyMasked: string;
  maxClients: number;
  maxTicketsPerMonth: number;
  maxActivations: number;
  features: string[];
  issuedAt: Date;
  expiresAt: Date;
  graceEndsAt: Date | null;
  cancelAtPeriodEnd: boolean;
};

export const usagePeriod = (now: Date) => now.toISOString().slice(0, 7);

export function daysRemaining(expiresAt: Date, now: Date): number {
  return Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS));
}

/** When the license stops working: its expiry, or an upgrade's grace end if earlier. */
export function effectiveEnd(license: Pick<LicenseFacts, "expiresAt" | "graceEndsAt" | "state">): Date {
  if (license.state === "superseded" && license.graceEndsAt && license.graceEndsAt < license.expiresAt) {
    return license.graceEndsAt;
  }
  return license.expiresAt;
}

export function classify(
  license: Pick<LicenseFacts, "state" | "plan" | "expiresAt" | "graceEndsAt">,
  now: Date,
): { status: StatusIndicator; code: StatusCode } {
  if (license.state === "revoked") return { status: "invalid", code: "LICENSE_REVOKED" };
  if (license.state === "suspended") return { status: "invalid", code: "LICENSE_SUSPENDED" };
  const end = effectiveEnd(license);
  const superseded = license.state === "superseded";
  if (end <= now) return { status: "expired", code: superseded ? "LICENSE_SUPERSEDED" : "LICENSE_EXPIRED" };
  if (superseded) return { status: "expiring_soon", code: "SUPERSEDED_GRACE" };
  if (license.plan === "trial") return { status: "trial", code: "TRIAL" };
  if (daysRemaining(end, now) <= EXPIRING_SOON_DAYS) return { status: "expiring_soon", code: "EXPIRING_SOON" };
  return { status: "valid", code: "VALID" };
}

/** "1 day", "2 days", "1,000 tickets". */
export const plural = (n: number, word: string) => `${formatNumber(n)} ${word}${n === 1 ? "" : "s"}`;

export function statusMessage(
  license: LicenseFacts,
  code: StatusCode,
  days: number,
  replacement: Replacement | null = null,
): string {
  const plan = PLANS[license.plan].name;
  switch (code) {
    case "VALID":
      return `${plan} license is active, ${plural(days, "day")} remaining.`;
    case "EXPIRING_SOON":
      return `${plan} license expires in ${plural(days, "day")}. Renew to keep TicketZero running.`;
    case "TRIAL":
      return `Trial license is active, ${plural(days, "day")} remaining.`;
    case "SUPERSEDED_GRACE":
      return `This ${plan} key was replaced by ${replacement ? `an upgrade to ${replacement.planName} (${replacement.key})` : "an upgrade"}; it keeps working until ${formatDate(effectiveEnd(license))} (${plural(days, "day")}). Switch to the new key.`;
    case "LICENSE_EXPIRED":
      return `${plan} license expired on ${formatDate(license.expiresAt)}. Renew to continue.`;
    case "LICENSE_SUPERSEDED":
      return `This ${plan} key was replaced by ${replacement ? `${replacement.key} (${replacement.planName})` : "an upgrade"} and its grace period ended on ${formatDate(effectiveEnd(license))}. Use the new key.`;
    case "LICENSE_SUSPENDED":
      return `This license is suspended: installations using it have stopped. Contact TicketZero support at ${supportEmail()}.`;
    case "LICENSE_REVOKED":
      return `This license has been revoked: installations using it have stopped. Contact TicketZero support at ${supportEmail()} if you think this is a mistake.`;
    case "LICENSE_NOT_FOUND":
      return "License not found.";
  }
}

export function warningsFor(license: LicenseFacts, usage: Usage, code: StatusCode, days: number): Warning[] {
  const warnings: Warning[] = [];
  const check = (used: number, limit: number, near: Warning["code"], reached: Warning["code"], what: string) => {
    if (limit <= 0) return;
    if (used >= limit)
      warnings.push({
        code: reached,
        message: `${what}: ${formatNumber(used)} of ${formatNumber(limit)} used (100%).`,
      });
    else if (used >= limit * NEAR_LIMIT_RATIO)
      warnings.push({
        code: near,
        message: `${what}: ${formatNumber(used)} of ${formatNumber(limit)} used (${Math.floor((used / limit) * 100)}%).`,
      });
  };
  check(
    usage.ticketsThisMonth,
    license.maxTicketsPerMonth,
    "TICKETS_NEAR_LIMIT",
    "TICKETS_LIMIT_REACHED",
    "Tickets this month",
  );
  check(usage.clients, license.maxClients, "CLIENTS_NEAR_LIMIT", "CLIENTS_LIMIT_REACHED", "Clients");
  if (usage.activations >= license.maxActivations) {
    warnings.push({
      code: "ACTIVATIONS_ALL_USED",
      message: `All ${formatNumber(license.maxActivations)} activations are in use; deactivate one to add another installation.`,
    });
  }
  if (code === "EXPIRING_SOON") {
    warnings.push({
      code: "RENEWAL_DUE",
      message: license.cancelAtPeriodEnd
        ? `Your subscription is cancelled and ends in ${plural(days, "day")}.`
        : `Renewal due in ${plural(days, "day")}.`,
    });
  }
  if (code === "TRIAL" && days <= 7) {
    warnings.push({ code: "TRIAL_ENDING", message: `Your trial ends in ${plural(days, "day")}.` });
  }
  if (code === "SUPERSEDED_GRACE") {
    warnings.push({
      code: "UPGRADE_GRACE_PERIOD",
      message: `This key was replaced by an upgrade and works for ${plural(days, "more day")}. Switch to the new key.`,
    });
  }
  return warnings;
}

export function upgradeFor(license: LicenseFacts, usage: Usage, valid: boolean): LicenseStatusBody["upgrade"] {
  if (license.state === "superseded") return null;
  if (license.plan === "trial") {
    return {
      plan: "professional",
      reason: "Keep TicketZero running after your trial with 15 clients and 5,000 tickets a month.",
    };
  }
  const next = nextPlanUp(license.plan);
  if (!next || !valid) return null;
  const tight =
    usage.ticketsThisMonth >= license.maxTicketsPerMonth * NEAR_LIMIT_RATIO ||
    usage.clients >= license.maxClients * NEAR_LIMIT_RATIO ||
    usage.activations >= license.maxActivations;
  if (!tight) return null;
  const limits = PLANS[next].limits;
  return {
    plan: next,
    reason: `You are close to your ${PLANS[license.plan].name} limits; ${PLANS[next].name} allows ${formatNumber(limits.maxClients)} clients, ${formatNumber(limits.maxTicketsPerMonth)} tickets a month and ${formatNumber(limits.maxActivations)} activations.`,
  };
}

export function limitsOf(license: LicenseFacts): PlanLimits {
  return {
    maxClients: license.maxClients,
    maxTicketsPerMonth: license.maxTicketsPerMonth,
    maxActivations: license.maxActivations,
  };
}

export type StatusInput = {
  license: LicenseFacts;
  ticketsThisMonth: number;
  /** Clients summed over the license's active installations. */
  clients: number;
  slots: SlotSummary;
  /** This installation's activation, when it asked with an activated instance id. */
  activation: ActivationSummary | null;
  /** Whether the caller named an installation (X-Instance-Id) or is one (no session). */
  askedAsInstallation: boolean;
  /** Who deactivated the asking installation, when it is deactivated. */
  deactivatedBy?: string | null;
  replacement: Replacement | null;
  now: Date;
};

const isValid = (status: StatusIndicator) => status === "valid" || status === "expiring_soon" || status === "trial";

/** The status body without its certificate (the caller signs one for an activated installation). */
export function computeStatus(input: StatusInput): LicenseStatusBody {
  const { license, ticketsThisMonth, clients, slots, activation, askedAsInstallation, replacement, now } = input;
  const onPurpose =
    input.deactivatedBy === "account" || input.deactivatedBy === "staff" || input.deactivatedBy === "cli";
  const { status, code } = classify(license, now);
  const valid = isValid(status);
  const days = valid ? daysRemaining(effectiveEnd(license), now) : 0;
  const usage: Usage = {
    period: usagePeriod(now),
    ticketsThisMonth,
    clients,
    activations: slots.used,
  };
  const warnings = valid ? warningsFor(license, usage, code, days) : [];
  const allUsed = warnings.find((w) => w.code === "ACTIVATIONS_ALL_USED");
  if (allUsed && slots.held > 0) {
    allUsed.message = `All ${slots.max} activations are taken, ${slots.held} by deactivated installations whose certificates are still valid${slots.nextFreesAt ? `; the next slot frees by ${formatDateTime(slots.nextFreesAt)}` : ""}.`;
  }
  if (valid && askedAsInstallation && !activation && onPurpose) {
    warnings.push({
      code: "INSTANCE_DEACTIVATED",
      message: `This installation was deactivated by ${input.deactivatedBy === "account" ? "the account admin" : "TicketZero staff"}; it gets no certificate until it is activated again on purpose.`,
    });
  } else if (valid && askedAsInstallation && !activation) {
    warnings.push({
      code: "INSTANCE_NOT_ACTIVATED",
      message:
        slots.used < slots.max
          ? "This installation is not activated: activate it to get a certificate."
          : `This installation is not activated and all ${slots.max} activations are in use${slots.nextFreesAt ? `; the next slot frees by ${formatDateTime(slots.nextFreesAt)}` : ""}.`,
    });
  }
  return {
    valid,
    code,
    status,
    message: statusMessage(license, code, days, replacement),
    license: {
      key: license.keyMasked,
      plan: license.plan,
      planName: PLANS[license.plan].name,
      issuedAt: license.issuedAt.toISOString(),
      expiresAt: license.expiresAt.toISOString(),
      daysRemaining: days,
    },
    limits: limitsOf(license),
    usage,
    features: featureList(license.features),
    warnings,
    upgrade: upgradeFor(license, usage, valid),
    activation,
    slots,
    replacement,
  };
}

export function notFoundStatus(): LicenseStatusBody {
  return {
    valid: false,
    code: "LICENSE_NOT_FOUND",
    status: "invalid",
    message: "No license found. Activate a key or start a trial.",
    license: null,
    limits: null,
    usage: null,
    features: [],
    warnings: [],
    upgrade: null,
    activation: null,
    slots: null,
    replacement: null,
  };
}

export { maskKey };
