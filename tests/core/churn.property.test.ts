/**
 * The churn invariant (license/slots.ts), checked against random histories
 * run on the real core and database with injected time: however
 * installations activate, deactivate, check in, go silent, and staff
 * release slots, the installations able to run — activated, or holding an
 * unexpired certificate — never exceed
 *   maxActivations + swapsPer30Days + staff releases of the last 30 days.
 */

import { getDb } from "@ticketzero/core/db/client";
import { activations, licenses } from "@ticketzero/core/db/schema";
import { activateLicense, deactivateInstallation, releaseHeldSlot } from "@ticketzero/core/license/activations";
import { statusByKey } from "@ticketzero/core/license/license-status";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { reserveTickets } from "@ticketzero/core/license/usage";
import { and, eq, isNull } from "drizzle-orm";
import fc from "fast-check";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const INSTANCES = ["a", "b", "c", "d", "e", "f"];

type Op =
  | { kind: "activate"; i: number }
  | { kind: "deactivate"; i: number; by: "installation" | "account" | "heartbeat" }
  | { kind: "checkin"; i: number }
  | { kind: "release"; i: number }
  | { kind: "advance"; hours: number };

const instance = fc.integer({ min: 0, max: INSTANCES.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: instance.map((i) => ({ kind: "activate" as const, i })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(instance, fc.constantFrom("installation" as const, "account" as const, "heartbeat" as const))
      .map(([i, by]) => ({ kind: "deactivate" as const, i, by })),
  },
  { weight: 3, arbitrary: instance.map((i) => ({ kind: "checkin" as const, i })) },
  { weight: 1, arbitrary: instance.map((i) => ({ kind: "release" as const, i })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 24 * 9 }).map((hours) => ({ kind: "advance" as const, hours })) },
);

async function activeInstances(licenseId: string): Promise<Set<string>> {
  const rows = await getDb()
    .select({ id: activations.instanceId })
    .from(activations)
    .where(and(eq(activations.licenseId, licenseId), isNull(activations.deactivatedAt)));
  return new Set(rows.map((r) => r.id));
}

describe("churn invariant", () => {
  it("random histories never leave more installations able to run than the bound", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
        fc.array(op, { minLength: 10, maxLength: 40 }),
        async (maxActivations, swapsPer30Days, ops) => {
          let now = new Date();
          const ctx = () => ({ actor: "test", now });
          const { license, key } = await issueLicense(
            {
              plan: "professional",
              email: testEmail(`churn-${run++}`),
              limits: { maxActivations },
              expiresAt: new Date(now.getTime() + 365 * DAY),
            },
            ctx(),
          );
          if (swapsPer30Days !== null) {
            await getDb().update(licenses).set({ swapsPer30Days }).where(eq(licenses.id, license.id));
          }
          const allowance = swapsPer30Days ?? maxActivations;
          const certificateExpiry = new Map<string, number>();
          const releases: number[] = [];

          const checkIn = async (id: string) => {
            const body = await statusByKey(key, id, now);
            if (body.certificate) {
              const { exp, instanceId } = decodeJwt(body.certificate);
              expect(instanceId).toBe(id);
              certificateExpiry.set(id, Math.max(certificateExpiry.get(id) ?? 0, exp! * 1000));
            }
          };

          for (const step of ops) {
            const id = step.kind === "advance" ? "" : INSTANCES[step.i]!;
            try {
              if (step.kind === "activate") {
                await activateLicense({ licenseKey: key, instanceId: id }, ctx());
                await checkIn(id); // the activation answer carries a certificate
              } else if (step.kind === "deactivate") {
                await deactivateInstallation({ licenseKey: key }, id, ctx(), step.by);
              } else if (step.kind === "checkin") {
                await checkIn(id);
              } else if (step.kind === "release") {
                await releaseHeldSlot(license.id, id, "property test", ctx());
                releases.push(now.getTime());
              } else {
                now = new Date(now.getTime() + step.hours * HOUR);
              }
            } catch (error) {
              const code = (error as { code?: string }).code;
              expect(["ACTIVATION_LIMIT_REACHED", "INSTANCE_NOT_ACTIVATED", "CONFLICT"]).toContain(code);
            }

            const active = await activeInstances(license.id);
            const running = INSTANCES.filter((i) => active.has(i) || (certificateExpiry.get(i) ?? 0) > now.getTime());
            const recentReleases = releases.filter((at) => at > now.getTime() - 30 * DAY).length;
            expect(active.size).toBeLessThanOrEqual(maxActivations);
            expect(running.length, JSON.stringify({ step, running, allowance, recentReleases })).toBeLessThanOrEqual(
              maxActivations + allowance + recentReleases,
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("with no swaps left, a deactivated installation keeps its slot until its certificate expires", async () => {
    const now = new Date();
    const ctx = { actor: "test", now };
    const { license, key } = await issueLicense(
      { plan: "starter", email: testEmail("churn-held"), limits: { maxActivations: 1 } },
      ctx,
    );
    await getDb().update(licenses).set({ swapsPer30Days: 0 }).where(eq(licenses.id, license.id));
    await activateLicense({ licenseKey: key, instanceId: "first" }, ctx);
    const first = await statusByKey(key, "first", now);
    const exp = decodeJwt(first.certificate!).exp! * 1000;
    const out = await deactivateInstallation({ licenseKey: key }, "first", ctx);
    expect(out).toMatchObject({ swapUsed: false, alreadyDeactivated: false });
    expect(out.slotFreesAt.getTime()).toBeGreaterThanOrEqual(exp);
    await expect(activateLicense({ licenseKey: key, instanceId: "second" }, ctx)).rejects.toMatchObject({
      code: "ACTIVATION_LIMIT_REACHED",
      extra: { details: { nextSlotFreesAt: out.slotFreesAt.toISOString(), swapsLeft: 0 } },
    });
    // The same installation may come back to its own held slot; a new one gets it once the certificate has expired.
    const later = { actor: "test", now: new Date(out.slotFreesAt.getTime() + 1000) };
    await expect(activateLicense({ licenseKey: key, instanceId: "second" }, later)).resolves.toMatchObject({
      created: true,
    });
  });

  it("a check-in racing a deactivation never leaves a certificate outliving the held slot", async () => {
    const DAYS6 = 6 * DAY;
    for (let round = 0; round < 12; round++) {
      const start = new Date();
      const { license, key } = await issueLicense(
        { plan: "starter", email: testEmail(`churn-race-${round}`), limits: { maxActivations: 1 } },
        { actor: "test", now: start },
      );
      await getDb().update(licenses).set({ swapsPer30Days: 0 }).where(eq(licenses.id, license.id));
      await activateLicense({ licenseKey: key, instanceId: "racer" }, { actor: "test", now: start });
      const later = new Date(start.getTime() + DAYS6);
      const [seen, off] = await Promise.all([
        statusByKey(key, "racer", later),
        deactivateInstallation({ licenseKey: key }, "racer", { actor: "test", now: later }),
      ]);
      if (seen.certificate) {
        const exp = decodeJwt(seen.certificate).exp! * 1000;
        expect(off.slotFreesAt.getTime(), `round ${round}`).toBeGreaterThanOrEqual(exp);
      }
    }
  });

  it("usage reports just before each check-in do not stop the certificate being renewed", async () => {
    const start = new Date();
    const { key } = await issueLicense(
      { plan: "starter", email: testEmail("churn-busy") },
      { actor: "test", now: start },
    );
    await activateLicense({ licenseKey: key, instanceId: "busy" }, { actor: "test", now: start });
    let exp = 0;
    for (let day = 1; day <= 9; day++) {
      const t = new Date(start.getTime() + day * DAY);
      await reserveTickets(
        { licenseKey: key, instanceId: "busy", tickets: 1 },
        { actor: "test", now: new Date(t.getTime() - 30_000) },
      );
      const body = await statusByKey(key, "busy", t);
      expect(body.certificate, `day ${day}`).toBeTruthy();
      exp = decodeJwt(body.certificate!).exp! * 1000;
      expect(exp).toBeGreaterThan(t.getTime() + 6 * DAY);
    }
  });

  it("an admin's deactivation is not undone by the installation: its status says so", async () => {
    const { key } = await issueLicense({ plan: "starter", email: testEmail("churn-admin") }, { actor: "test" });
    await activateLicense({ licenseKey: key, instanceId: "box" }, { actor: "test" });
    await deactivateInstallation({ licenseKey: key }, "box", { actor: "test" }, "account");
    const body = await statusByKey(key, "box");
    expect(body.certificate).toBeUndefined();
    expect(body.warnings.map((w) => w.code)).toContain("INSTANCE_DEACTIVATED");
  });
});
