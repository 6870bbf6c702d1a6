/** The pure status computation (lib/license/status.ts): indicator, code, warnings, upgrade advice. */

import { PLANS, type PlanId } from "@ticketzero/core/license/plans";
import {
  classify,
  computeStatus,
  daysRemaining,
  type LicenseFacts,
  notFoundStatus,
} from "@ticketzero/core/license/status";
import { describe, expect, it } from "vitest";

const DAY = 86_400_000;
const NOW = new Date("2026-06-15T12:00:00Z");
const days = (n: number) => new Date(NOW.getTime() + n * DAY);

function facts(overrides: Partial<LicenseFacts> = {}): LicenseFacts {
  const plan: PlanId = overrides.plan ?? "professional";
  return {
    id: "00000000-0000-0000-0000-000000000001",
    plan,
    state: "active",
    keyMasked: "TZ-PRO-****-****-****-7K2Q",
    ...PLANS[plan].limits,
    features: PLANS[plan].features,
    issuedAt: days(-100),
    expiresAt: days(200),
    graceEndsAt: null,
    cancelAtPeriodEnd: false,
    ...overrides,
  };
}

function status(license: LicenseFacts, usage: { tickets?: number; activations?: number; clients?: number } = {}) {
  const used = usage.activations ?? 0;
  return computeStatus({
    license,
    ticketsThisMonth: usage.tickets ?? 0,
    clients: usage.clients ?? 0,
    slots: { used, max: license.maxActivations, held: 0, nextFreesAt: null, swapsLeft: 5, swapsPer30Days: 5 },
    activation: null,
    askedAsInstallation: false,
    replacement: null,
    now: NOW,
  });
}

const warningCodes = (body: ReturnType<typeof status>) => body.warnings.map((w) => w.code);

describe("status indicator", () => {
  it("valid: active with more than 30 days left", () => {
    const body = status(facts());
    expect(body).toMatchObject({ valid: true, status: "valid", code: "VALID" });
    expect(body.license?.daysRemaining).toBe(200);
    expect(body.limits).toEqual(PLANS.professional.limits);
    expect(body.usage).toEqual({ period: "2026-06", ticketsThisMonth: 0, clients: 0, activations: 0 });
    expect(body.features.map((f) => f.key)).toEqual(PLANS.professional.features);
    expect(body.warnings).toEqual([]);
    expect(body.upgrade).toBeNull();
    expect(body.license?.key).toBe("TZ-PRO-****-****-****-7K2Q");
  });

  it("expiring_soon at 30 days or fewer, valid at 31", () => {
    expect(status(facts({ expiresAt: days(31) }))).toMatchObject({ status: "valid", code: "VALID" });
    for (const d of [30, 10, 1, 0.5]) {
      const body = status(facts({ expiresAt: days(d) }));
      expect(body).toMatchObject({ valid: true, status: "expiring_soon", code: "EXPIRING_SOON" });
      expect(warningCodes(body)).toContain("RENEWAL_DUE");
    }
    expect(status(facts({ expiresAt: days(0.5) })).license?.daysRemaining).toBe(1);
  });

  it("trial: an active trial is blue, not expiring_soon, and recommends Professional", () => {
    const body = status(facts({ plan: "trial", expiresAt: days(20) }));
    expect(body).toMatchObject({ valid: true, status: "trial", code: "TRIAL" });
    expect(body.upgrade?.plan).toBe("professional");
    expect(warningCodes(status(facts({ plan: "trial", expiresAt: days(5) })))).toContain("TRIAL_ENDING");
    expect(warningCodes(body)).not.toContain("TRIAL_ENDING");
  });

  it("expired: past expiry, paid or trial", () => {
    for (const plan of ["starter", "trial"] as const) {
      const body = status(facts({ plan, expiresAt: days(-1) }));
      expect(body).toMatchObject({ valid: false, status: "expired", code: "LICENSE_EXPIRED" });
      expect(body).not.toHaveProperty("certificate");
      expect(body.license?.daysRemaining).toBe(0);
      expect(body.warnings).toEqual([]);
    }
    expect(classify(facts({ expiresAt: NOW }), NOW).code).toBe("LICENSE_EXPIRED");
  });

  it("suspended and revoked are invalid whatever the expiry", () => {
    expect(status(facts({ state: "suspended" }))).toMatchObject({
      valid: false,
      status: "invalid",
      code: "LICENSE_SUSPENDED",
    });
    expect(status(facts({ state: "revoked" }))).toMatchObject({
      valid: false,
      status: "invalid",
      code: "LICENSE_REVOKED",
    });
    expect(status(facts({ state: "revoked", expiresAt: days(-5) })).code).toBe("LICENSE_REVOKED");
  });

  it("superseded: works within the grace period (with a warning), expired past it", () => {
    const within = status(facts({ state: "superseded", graceEndsAt: days(10) }));
    expect(within).toMatchObject({ valid: true, status: "expiring_soon", code: "SUPERSEDED_GRACE" });
    expect(within.message).not.toMatch(/Renew/);
    expect(within.message).toContain("keeps working until");
    expect(warningCodes(within)).not.toContain("RENEWAL_DUE");
    expect(within.license?.daysRemaining).toBe(10);
    expect(warningCodes(within)).toContain("UPGRADE_GRACE_PERIOD");
    expect(within.upgrade).toBeNull();
    const past = status(facts({ state: "superseded", graceEndsAt: days(-1) }));
    expect(past).toMatchObject({ valid: false, status: "expired", code: "LICENSE_SUPERSEDED" });
    // A grace period never extends a license past its own expiry.
    expect(status(facts({ state: "superseded", graceEndsAt: days(20), expiresAt: days(-1) }))).toMatchObject({
      valid: false,
      status: "expired",
    });
  });

  it("not found is invalid with no license", () => {
    expect(notFoundStatus()).toMatchObject({
      valid: false,
      status: "invalid",
      code: "LICENSE_NOT_FOUND",
      license: null,
    });
  });

  it("daysRemaining rounds up and never goes negative", () => {
    expect(daysRemaining(days(1.2), NOW)).toBe(2);
    expect(daysRemaining(days(-3), NOW)).toBe(0);
  });
});

describe("warnings", () => {
  const limits = PLANS.professional.limits;

  it("tickets at 80% warn near the limit, at 100% reached", () => {
    expect(warningCodes(status(facts(), { tickets: limits.maxTicketsPerMonth * 0.8 - 1 }))).toEqual([]);
    expect(warningCodes(status(facts(), { tickets: limits.maxTicketsPerMonth * 0.8 }))).toEqual(["TICKETS_NEAR_LIMIT"]);
    expect(warningCodes(status(facts(), { tickets: limits.maxTicketsPerMonth }))).toEqual(["TICKETS_LIMIT_REACHED"]);
    const message = status(facts(), { tickets: 4000 }).warnings[0]!.message;
    expect(message).toContain("80%");
  });

  it("clients at 80% warn near the limit, at 100% reached", () => {
    expect(warningCodes(status(facts(), { clients: 11 }))).toEqual([]);
    expect(warningCodes(status(facts(), { clients: 12 }))).toEqual(["CLIENTS_NEAR_LIMIT"]);
    expect(warningCodes(status(facts(), { clients: 15 }))).toEqual(["CLIENTS_LIMIT_REACHED"]);
  });

  it("activations all used", () => {
    expect(warningCodes(status(facts(), { activations: 4 }))).toEqual([]);
    expect(warningCodes(status(facts(), { activations: 5 }))).toEqual(["ACTIVATIONS_ALL_USED"]);
  });

  it("renewal due mentions a cancelled subscription", () => {
    const body = status(facts({ expiresAt: days(12), cancelAtPeriodEnd: true }));
    const renewal = body.warnings.find((w) => w.code === "RENEWAL_DUE");
    expect(renewal?.message).toMatch(/cancelled/);
  });

  it("everything at once", () => {
    const body = status(facts({ expiresAt: days(5) }), { tickets: 5000, activations: 5, clients: 15 });
    expect(warningCodes(body).sort()).toEqual(
      ["ACTIVATIONS_ALL_USED", "CLIENTS_LIMIT_REACHED", "RENEWAL_DUE", "TICKETS_LIMIT_REACHED"].sort(),
    );
  });
});

describe("upgrade recommendation", () => {
  it("recommends the next plan up when close to a limit", () => {
    expect(status(facts({ plan: "starter" }), { tickets: 800 }).upgrade?.plan).toBe("professional");
    expect(status(facts({ plan: "starter" }), { clients: 4 }).upgrade?.plan).toBe("professional");
    expect(status(facts(), { activations: 5 }).upgrade?.plan).toBe("enterprise");
    expect(status(facts(), { tickets: 4500 }).upgrade?.reason).toMatch(/Enterprise/);
  });

  it("no recommendation with room to spare, on the top plan, or when unusable", () => {
    expect(status(facts({ plan: "starter" }), { tickets: 100 }).upgrade).toBeNull();
    expect(status(facts({ plan: "enterprise" }), { tickets: 25_000, activations: 25 }).upgrade).toBeNull();
    expect(status(facts({ plan: "starter", state: "revoked" }), { tickets: 1000 }).upgrade).toBeNull();
  });
});
