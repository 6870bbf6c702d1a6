/** Property tests of the key format (PRODUCT.md "Keys"). */

import { CROCKFORD, generateKey, maskKey, parseKey } from "@ticketzero/core/license/keys";
import type { PlanId } from "@ticketzero/core/license/plans";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const PLAN_IDS: PlanId[] = ["trial", "starter", "professional", "enterprise"];
const PREFIX: Record<PlanId, string> = { trial: "TRIAL", starter: "STA", professional: "PRO", enterprise: "ENT" };
const PAID_SHAPE = /^TZ-(STA|PRO|ENT)-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;
const TRIAL_SHAPE = /^TZ-TRIAL-[0-9A-HJKMNP-TV-Z]{8}$/;
const whitespace = fc.array(fc.constantFrom(" ", "\t", "\n", "\r"), { maxLength: 4 }).map((a) => a.join(""));

describe("license keys", () => {
  it("the alphabet is Crockford base32 without I, L, O, U", () => {
    expect(CROCKFORD).toHaveLength(32);
    expect(CROCKFORD).not.toMatch(/[ILOU]/);
  });

  it("every generated key has the documented shape and parses back to its plan, also lower-cased and padded", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PLAN_IDS), whitespace, whitespace, fc.boolean(), (plan, before, after, lower) => {
        const key = generateKey(plan);
        if (plan === "trial") {
          expect(key).toMatch(TRIAL_SHAPE);
          expect(key).toHaveLength(17);
        } else {
          expect(key).toMatch(PAID_SHAPE);
          expect(key).toHaveLength(26);
        }
        expect(key.startsWith(`TZ-${PREFIX[plan]}-`)).toBe(true);
        expect(key.slice(`TZ-${PREFIX[plan]}-`.length)).not.toMatch(/[ILOU]/);
        expect(parseKey(key)).toEqual({ key, plan });
        const variant = `${before}${lower ? key.toLowerCase() : key}${after}`;
        expect(parseKey(variant)).toEqual({ key, plan });
      }),
      { numRuns: 2000 },
    );
  });

  it("keys are drawn at random (no repeats in many draws)", () => {
    const seen = new Set(Array.from({ length: 5000 }, () => generateKey("trial")));
    expect(seen.size).toBe(5000);
  });

  it("maskKey hides all but the last 4 characters", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PLAN_IDS), (plan) => {
        const key = generateKey(plan);
        const masked = maskKey(key);
        const last4 = key.slice(-4);
        expect(masked.endsWith(last4)).toBe(true);
        expect(masked).toBe(plan === "trial" ? `TZ-TRIAL-****${last4}` : `TZ-${PREFIX[plan]}-****-****-****-${last4}`);
        // No other random character survives.
        const randomPart = key.slice(`TZ-${PREFIX[plan]}-`.length, -4).replaceAll("-", "");
        const shown = masked.slice(`TZ-${PREFIX[plan]}-`.length, -4).replaceAll("-", "");
        expect(shown).toMatch(/^\**$/);
        expect(randomPart.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it("random strings that are not keys parse to null", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const normalised = s.trim().toUpperCase();
        if (PAID_SHAPE.test(normalised) || TRIAL_SHAPE.test(normalised)) return;
        expect(parseKey(s)).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });

  it("near-miss keys parse to null", () => {
    const char = fc.constantFrom(...CROCKFORD.split(""));
    const group = fc.array(char, { minLength: 4, maxLength: 4 }).map((a) => a.join(""));
    fc.assert(
      fc.property(
        fc.constantFrom("STA", "PRO", "ENT"),
        fc.array(group, { minLength: 4, maxLength: 4 }),
        fc.nat(3),
        fc.constantFrom("I", "L", "O", "U", "-", "_", "*", "'", "é", ""),
        (prefix, groups, at, bad) => {
          const mutated = [...groups];
          mutated[at] = bad === "" ? mutated[at]!.slice(1) : `${mutated[at]!.slice(0, 3)}${bad}`;
          expect(parseKey(`TZ-${prefix}-${mutated.join("-")}`)).toBeNull();
          expect(parseKey(`TZ-${prefix}-${groups.join("-")}-${groups[0]}`)).toBeNull();
          expect(parseKey(`TZ-${prefix}-${groups.join("")}`)).toBeNull();
        },
      ),
      { numRuns: 1000 },
    );
    for (const value of [null, undefined, 42, {}, [], "", "TZ-", "x".repeat(65)]) expect(parseKey(value)).toBeNull();
  });
});
