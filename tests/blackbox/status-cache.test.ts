/**
 * Two app processes (the launcher with the production build) on one
 * database, each answering installations from its own status cache. What
 * must never happen: one process answering from memory a change staff made
 * through the other more than a second ago. Staff change the license through
 * process A's staff API; an installation polls process B. B is shown to be
 * answering from memory first (the same certificate twice: only a cached
 * installation gets its certificate again).
 */
import { getDb } from "@ticketzero/core/db/client";
import { users } from "@ticketzero/core/db/schema";
import { createStaffToken } from "@ticketzero/core/license/staff-tokens";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { email } from "./support/api";
import { Client } from "./support/client";
import { expectAnswersDocumented } from "./support/openapi";
import { developmentEnv, startProductionBuild } from "./support/server";

let a: AppServer;
let b: AppServer;
let staffToken = "";
const staffId = crypto.randomUUID();
const LIMIT_MS = 1_000;

beforeAll(async () => {
  const env = developmentEnv({ JOBS: "off" });
  [a, b] = await Promise.all([startProductionBuild(env), startProductionBuild(env)]);
  await getDb()
    .insert(users)
    .values({ id: staffId, email: email("cache-staff"), isStaff: true });
  staffToken = (await createStaffToken({ name: "bb cache", scope: "write" }, { id: staffId }, { actor: "bb" })).token;
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

it("staff change a license through one process; the other answers the change within a second, every time", async () => {
  const viaA = new Client(a);
  const trialEmail = email("cache-two");
  const trial = await viaA.json("/admin/generate-trial", { email: trialEmail });
  expect(trial.status, trial.text).toBe(201);
  const key = trial.body.licenseKey as string;
  const instanceId = "two-process-1";
  const activated = await viaA.json("/admin/activate-license", { licenseKey: key, instanceId });
  expect(activated.status, activated.text).toBe(201);
  const found = await viaA.send(`/api/staff/v1/licenses?q=${encodeURIComponent(trialEmail)}`, {
    headers: { Authorization: `Bearer ${staffToken}` },
  });
  expect(found.body.items, found.text).toHaveLength(1);
  const licenseId = found.body.items[0].id as string;

  const installation = new Client(b);
  const status = async () => {
    const reply = await installation.send("/api/license-status", {
      headers: { Authorization: `Bearer ${key}`, "X-Instance-Id": instanceId },
    });
    expect(reply.status, reply.text).toBe(200);
    return reply.body as { code: string; certificate?: string; limits: { maxTicketsPerMonth: number } | null };
  };
  /** Polls B until `done`; returns the ms from staff's answer on A to the first such answer on B. */
  const seenWithin = async (done: (body: Awaited<ReturnType<typeof status>>) => boolean) => {
    const started = Date.now();
    for (;;) {
      if (done(await status())) return Date.now() - started;
      if (Date.now() - started > 5_000) throw new Error("process B never answered the change");
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const staff = async (path: string, body: unknown, method = "POST") => {
    const reply = await viaA.json(`/api/staff/v1/licenses/${licenseId}${path}`, body, {
      method,
      headers: { Authorization: `Bearer ${staffToken}` },
    });
    expect(reply.status, reply.text).toBe(200);
  };

  // B has the license in memory before the first change.
  for (let i = 0; i < 10; i++) expect((await status()).certificate).toBeTruthy();

  const seen: number[] = [];
  for (let round = 0; round < 3; round++) {
    await staff("/suspend", { reason: "two-process test" });
    seen.push(await seenWithin((s) => s.code === "LICENSE_SUSPENDED" && !s.certificate));
    await staff("/reinstate", {});
    seen.push(await seenWithin((s) => s.code !== "LICENSE_SUSPENDED" && Boolean(s.certificate)));
  }
  const limit = 1_000 + seen.length;
  await staff("/limits", { maxClients: 3, maxTicketsPerMonth: limit, maxActivations: 2 }, "PATCH");
  seen.push(await seenWithin((s) => s.limits?.maxTicketsPerMonth === limit));
  await staff("/revoke", { reason: "two-process test" });
  seen.push(await seenWithin((s) => s.code === "LICENSE_REVOKED" && !s.certificate));
  console.info(`[blackbox] process B answered each change after ${seen.join(", ")} ms`);
  expect(Math.max(...seen)).toBeLessThan(LIMIT_MS);
  // And B did answer from memory meanwhile (it says so when it stops): the changes were news to a cache.
  await b.stop();
  const fromMemory = Number(/\[status-cache\] since start: (\d+) answers from memory/.exec(b.output())?.[1] ?? 0);
  expect(fromMemory).toBeGreaterThanOrEqual(5); // most of the warm-up's ten reads
});

it("every answer is in the published contract", () => expectAnswersDocumented(a));
