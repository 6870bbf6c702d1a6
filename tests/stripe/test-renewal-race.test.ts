/**
 * A renewal delivered twice at once (a retry, a double click in test mode)
 * with a downgrade scheduled: one payment, one lower-tier license.
 */
import { getDb } from "@ticketzero/core/db/client";
import { completeTestCheckout } from "@ticketzero/core/license/fulfilment";
import { teamForEmail } from "@ticketzero/core/license/teams";
import { createCheckout } from "@ticketzero/core/stripe/checkout";
import { scheduleDowngrade, simulateTestRenewal } from "@ticketzero/core/stripe/subscriptions";
import { describe, expect, it } from "vitest";
import { licensesOf, paymentsOf, uniqueEmail } from "./support/helpers";

describe("downgrade at renewal, twice at once", () => {
  it("issues one lower-tier license", async () => {
    const email = uniqueEmail("dbl");
    const { userId, teamId } = await getDb().transaction((tx) => teamForEmail(tx, email));
    const { sessionId } = await createCheckout({ plan: "enterprise", email, accountId: userId, teamId });
    const { license } = await completeTestCheckout(sessionId);
    await scheduleDowngrade(userId, license.id, "starter", { actor: "t", accountId: userId });
    const ctx = { actor: `user:${userId}`, accountId: userId };
    const results = await Promise.allSettled([
      simulateTestRenewal(userId, license.id, ctx),
      simulateTestRenewal(userId, license.id, ctx),
    ]);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    const all = await licensesOf(email);
    expect(all.filter((l) => l.plan === "starter")).toHaveLength(1);
    expect((await paymentsOf(email)).filter((p) => p.kind === "renewal")).toHaveLength(1);
  });
});
