import { PLANS } from "@ticketzero/core/license/plans";
import { describe, expect, it } from "vitest";

describe("plans catalogue", () => {
  it("Enterprise keeps Professional's support and SLA features (the comparison table shows them included)", () => {
    expect(PLANS.enterprise.features).toEqual(expect.arrayContaining(["priority_support", "sla_monitoring"]));
    // Apart from the dashboard, which Enterprise replaces with its own, an upgrade loses nothing.
    const lost = PLANS.professional.features.filter((f) => !PLANS.enterprise.features.includes(f));
    expect(lost).toEqual(["advanced_dashboard"]);
  });
});
