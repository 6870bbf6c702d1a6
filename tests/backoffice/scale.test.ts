/**
 * What the back office does differently for scale keeps its answers: the status filters as plain
 * predicates (statusIs) select exactly what the status expression says, the audit filter's action
 * list (a loose index scan) is the distinct actions, and the overview's figures snapshot holds
 * what figures() counts.
 */

import { randomBytes } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { auditEvents, figureSnapshots, licenses } from "@ticketzero/core/db/schema";
import {
  auditActions,
  figures,
  overviewFigures,
  refreshFigures,
  STATUS_FILTERS,
  staffContext,
  statusIs,
  statusSql,
} from "@ticketzero/core/license/backoffice";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { eq, like, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

const marker = `scl${randomBytes(5).toString("hex")}`;
const ctx = staffContext({ id: `test-staff-${marker}` });
const DAY = 86_400_000;

describe("the back office at scale", () => {
  it("statusIs selects exactly the licenses statusSql classifies so, for every status", async () => {
    const db = getDb();
    const now = new Date();
    // One of each shape: running, trial, expiring, expired, suspended, revoked, superseded in and past its grace.
    const shapes: { plan: "trial" | "starter" | "professional"; days: number; state?: string; graceDays?: number }[] = [
      { plan: "professional", days: 200 },
      { plan: "trial", days: 10 },
      { plan: "trial", days: -3 },
      { plan: "starter", days: 12 },
      { plan: "starter", days: -40 },
      { plan: "professional", days: 100, state: "suspended" },
      { plan: "professional", days: -5, state: "revoked" },
      { plan: "starter", days: 300, state: "superseded", graceDays: 5 },
      { plan: "starter", days: 300, state: "superseded", graceDays: -1 },
      { plan: "starter", days: 300, state: "superseded", graceDays: 60 },
      { plan: "starter", days: 2, state: "superseded", graceDays: 90 },
    ];
    for (const [i, shape] of shapes.entries()) {
      const { license: row } = await issueLicense({ plan: shape.plan, email: `${marker}-${i}@example.test` }, ctx);
      await db
        .update(licenses)
        .set({
          expiresAt: new Date(now.getTime() + shape.days * DAY),
          state: shape.state ?? "active",
          graceEndsAt: shape.graceDays === undefined ? null : new Date(now.getTime() + shape.graceDays * DAY),
        })
        .where(eq(licenses.id, row.id));
    }
    const mine = like(licenses.email, `${marker}-%`);
    for (const status of STATUS_FILTERS) {
      const expected =
        status === "superseded" ? sql`${licenses.state} = 'superseded'` : sql`${statusSql(now)} = ${status}`;
      const a = await db
        .select({ id: licenses.id })
        .from(licenses)
        .where(sql`${mine} and ${statusIs(status, now)}`);
      const b = await db.select({ id: licenses.id }).from(licenses).where(sql`${mine} and ${expected}`);
      expect(a.map((r) => r.id).sort(), status).toEqual(b.map((r) => r.id).sort());
    }
  });

  it("auditActions lists the distinct actions in order", async () => {
    const db = getDb();
    await db.insert(auditEvents).values([
      { actor: "cli", action: `${marker}.b` },
      { actor: "cli", action: `${marker}.a` },
      { actor: "cli", action: `${marker}.b` },
    ]);
    const plain = await db.selectDistinct({ action: auditEvents.action }).from(auditEvents).orderBy(auditEvents.action);
    const actions = await auditActions();
    expect(actions).toEqual(plain.map((r) => r.action).slice(0, 200));
    expect(actions).toContain(`${marker}.a`);
  });

  it("the overview counts live below the threshold; a refresh stores the same figures as its snapshot", async () => {
    const now = new Date();
    const live = await overviewFigures(now);
    expect(live.asOf).toBeNull();
    expect(await refreshFigures(now)).toEqual(await figures(now));
    const [snapshot] = await getDb().select().from(figureSnapshots).where(eq(figureSnapshots.id, "overview"));
    expect(snapshot!.computedAt.getTime()).toBe(now.getTime());
    expect(snapshot!.figures).toEqual(JSON.parse(JSON.stringify(await figures(now))));
  });
});
