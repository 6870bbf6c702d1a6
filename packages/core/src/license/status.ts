/**
 * Pure status computation: the indicator, code, message, days remaining,
 * warnings and upgrade advice that people and installations see. No I/O, so
 * the hot path, the admin panel and the CLI all agree.
 */
import { maskKey } from "./keys";
import { featureList, nextPlanUp, PLANS, type PlanId, type PlanLimits } from "./plans";
import type { LicenseStatusBody, StatusCode, StatusIndicator, Usage, Warning } from "./types";

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
  clients: number;
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

export function classify(license: LicenseFacts, now: Date): { status: StatusIndicator; code: StatusCode } {
  if (license.state === "revoked") return { status: "invalid", code: "REVOKED" };
  if (license.state === "suspended") return { status: "invalid", code: "SUSPENDED" };
  const end = effectiveEnd(license);
  if (end <= now) return { status: "expired", code: license.state === "superseded" ? "SUPERSEDED" : "EXPIRED" };
  if (license.plan === "trial") return { status: "trial", code: "TRIAL" };
  if (daysRemaining(end, now) <= EXPIRING_SOON_DAYS) return { status: "expiring_soon", code: "EXPIRING_SOON" };
  return { status: "valid", code: "VALID" };
}

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

function message(license: LicenseFacts, code: StatusCode, days: number): string {
  const plan = PLANS[license.plan].name;
  switch (code) {
    case "VALID":
      return `${plan} license is active, ${plural(days, "day")} remaining.`;
    case "EXPIRING_SOON":
      return `${plan} license expires in ${plural(days, "day")}. Renew to keep TicketZero running.`;
    case "TRIAL":
      return `Trial license is active, ${plural(days, "day")} remaining.`;
    case "EXPIRED":
      return `${plan} license expired on ${license.expiresAt.toISOString().slice(0, 10)}. Renew to continue.`;
    case "SUPERSEDED":
      return `This ${plan} license was replaced by an upgrade and its grace period has ended. Use the new key.`;
    case "SUSPENDED":
      return "This license is suspended. Contact TicketZero support.";
    case "REVOKED":
      return "This license has been revoked.";
    case "NOT_FOUND":
      return "License not found.";
  }
}

export function warningsFor(license: LicenseFacts, usage: Usage, code: StatusCode, days: number): Warning[] {
  const warnings: Warning[] = [];
  const check = (used: number, limit: number, near: Warning["code"], reached: Warning["code"], what: string) => {
    if (limit <= 0) return;
    if (used >= limit) warnings.push({ code: reached, message: `${what}: ${used} of ${limit} used (100%).` });
    else if (used >= limit * NEAR_LIMIT_RATIO)
      warnings.push({
        code: near,
        message: `${what}: ${used} of ${limit} used (${Math.floor((used / limit) * 100)}%).`,
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
      message: `All ${license.maxActivations} activations are in use; deactivate one to add another installation.`,
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
  if (license.state === "superseded" && (code === "VALID" || code === "EXPIRING_SOON")) {
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
    reason: `You are close to your ${PLANS[license.plan].name} limits; ${PLANS[next].name} allows ${limits.maxClients} clients, ${limits.maxTicketsPerMonth.toLocaleString("en-US")} tickets a month and ${limits.maxActivations} activations.`,
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
  activationCount: number;
  activation: { instanceId: string; activatedAt: Date } | null;
  now: Date;
};

/** The status body without its certificate (the caller signs one when the license is usable). */
export function computeStatus({ license, ticketsThisMonth, activationCount, activation, now }: StatusInput) {
  const { status, code } = classify(license, now);
  const valid = status === "valid" || status === "expiring_soon" || status === "trial";
  const days = valid ? daysRemaining(effectiveEnd(license), now) : 0;
  const usage: Usage = {
    period: usagePeriod(now),
    ticketsThisMonth,
    clients: license.clients,
    activations: activationCount,
  };
  const body: LicenseStatusBody = {
    valid,
    code,
    status,
    message: message(license, code, days),
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
    warnings: valid ? warningsFor(license, usage, code, days) : [],
    upgrade: upgradeFor(license, usage, valid),
    activation: activation
      ? { instanceId: activation.instanceId, activatedAt: activation.activatedAt.toISOString() }
      : null,
    certificate: null,
  };
  return body;
}

export function notFoundStatus(): LicenseStatusBody {
  return {
    valid: false,
    code: "NOT_FOUND",
    status: "invalid",
    message: "No license found. Activate a key or start a trial.",
    license: null,
    limits: null,
    usage: null,
    features: [],
    warnings: [],
    upgrade: null,
    activation: null,
    certificate: null,
  };
}

export { maskKey };
