/** What each license state says on the License & Billing card and the Admin overview (components/license/status-copy.ts). */
import { PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { computeStatus, type LicenseFacts } from "@ticketzero/core/license/status";
import type { Replacement } from "@ticketzero/core/license/types";
import { describe, expect, it } from "vitest";
import { statusCopy } from "@/components/license/status-copy";

const DAY = 86_400_000;
const NOW = new Date("2026-06-15T12:00:00Z");
const at = (n: number) => new Date(NOW.getTime() + n * DAY);

function body(overrides: Partial<LicenseFacts> = {}, replacement: Replacement | null = null) {
  const plan: PlanId = overrides.plan ?? "professional";
  const license: LicenseFacts = {
    id: "00000000-0000-0000-0000-000000000001",
    plan,
    state: "active",
    keyMasked: "TZ-PRO-****-****-****-7K2Q",
    ...PLANS[plan].limits,
    features: PLANS[plan].features,
    issuedAt: at(-100),
    expiresAt: at(200),
    graceEndsAt: null,
    cancelAtPeriodEnd: false,
    ...overrides,
  };
  return computeStatus({
    license,
    ticketsThisMonth: 0,
    clients: 0,
    slots: { used: 0, max: license.maxActivations, held: 0, nextFreesAt: null, swapsLeft: 5, swapsPer30Days: 5 },
    activation: null,
    askedAsInstallation: false,
    replacement,
    now: NOW,
  });
}

describe("status copy", () => {
  it("a suspended license says so, keeps its real term date, and points to support, not to a renewal", () => {
    const copy = statusCopy(body({ state: "suspended", expiresAt: new Date("2027-12-01T00:00:00Z") }), "lic-1");
    expect(copy.word).toBe("Suspended");
    expect(copy.days).toBeNull(); // no "0 days left"
    expect(copy.dateLabel).toBe("Term ends on");
    expect(copy.message).toContain("suspended");
    expect(copy.message).toContain("installations using it have stopped");
    expect(copy.message).not.toMatch(/expired/i);
    expect(copy.nextStep).toMatchObject({ label: "Contact support", kind: "support" });
    expect(copy.nextStep!.href).toMatch(/^mailto:support@ticketzero\.ai\?subject=Suspended%20license/);
  });

  it("a revoked license shows no date or renewal, and points to support", () => {
    const copy = statusCopy(body({ state: "revoked" }), "lic-1");
    expect(copy).toMatchObject({ word: "Revoked", date: null, days: null });
    expect(copy.message).toContain("cannot be renewed");
    expect(copy.nextStep?.kind).toBe("support");
  });

  it("an expired paid license offers its renewal; an ended trial offers a plan", () => {
    const paid = statusCopy(body({ issuedAt: at(-400), expiresAt: new Date("2026-06-01T00:00:00Z") }), "lic-1");
    expect(paid).toMatchObject({ word: "Expired", dateLabel: "Expired on", days: null });
    expect(paid.message).toContain("expired on Jun 1, 2026");
    expect(paid.nextStep).toEqual({
      label: "Renew Professional",
      href: "/checkout?plan=professional&renew=lic-1",
      kind: "renew",
    });
    const trial = statusCopy(body({ plan: "trial", issuedAt: at(-40), expiresAt: at(-10) }), "lic-2");
    expect(trial.dateLabel).toBe("Trial ended on");
    expect(trial.nextStep).toMatchObject({ label: "Buy a plan", kind: "buy" });
  });

  it("a key in its upgrade grace names the replacement and the grace end date", () => {
    const replacement: Replacement = {
      key: "TZ-ENT-****-****-****-9XYZ",
      plan: "enterprise",
      planName: "Enterprise",
      graceEndsAt: at(10).toISOString(),
    };
    const copy = statusCopy(body({ state: "superseded", graceEndsAt: at(10) }, replacement), "lic-1");
    expect(copy.word).toBe("Replaced by an upgrade");
    expect(copy.dateLabel).toBe("Works until");
    expect(copy.date).toBe(replacement.graceEndsAt);
    expect(copy.days).toBe(10);
    expect(copy.message).toContain("Enterprise (TZ-ENT-****-****-****-9XYZ)");
    expect(copy.message).toContain("until Jun 25, 2026");
  });

  it("valid, expiring soon and trial count days, with formatted dates", () => {
    expect(statusCopy(body()).nextStep).toBeNull();
    const soon = statusCopy(body({ expiresAt: at(12) }), "lic-1");
    expect(soon).toMatchObject({ word: "Expiring soon", days: 12, nextStep: { kind: "renew" } });
    expect(soon.message).toContain("Jun 27, 2026");
    const trial = statusCopy(body({ plan: "trial", issuedAt: at(-5), expiresAt: at(25) }));
    expect(trial).toMatchObject({ word: "Trial", dateLabel: "Trial ends on", days: 25 });
  });
});
