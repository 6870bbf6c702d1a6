/**
 * The staff API against the production server (issue 11): a read token
 * cannot write, a revoked token is refused at once, every refusal is the
 * contract's error and changes nothing, and no token appears in clear in the
 * server's output. Tokens are made by the core, as the back office does.
 */

import { getDb } from "@ticketzero/core/db/client";
import { users } from "@ticketzero/core/db/schema";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { createStaffToken, revokeStaffToken } from "@ticketzero/core/license/staff-tokens";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { email, expectError } from "./support/api";
import { Client } from "./support/client";
import { expectAnswersDocumented } from "./support/openapi";
import { developmentEnv, startProductionBuild } from "./support/server";

let server: AppServer;
let client: Client;
const staffId = crypto.randomUUID();
const ctx = { actor: `staff:${staffId}` };
let readToken = "";
let writeToken = "";
const BASE = "/api/staff/v1";

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const get = (path: string, token?: string) => client.send(`${BASE}${path}`, { headers: token ? bearer(token) : {} });
const post = (path: string, body: unknown, token: string, method = "POST") =>
  client.json(`${BASE}${path}`, body, { method, headers: bearer(token) });

async function footprint(licenseId: string) {
  const [row] = await getDb().execute<{ state: string; expires_at: string; audits: number }>(
    sql`select state, expires_at::text, (select count(*)::int from audit_events where license_id = l.id) as audits
          from licenses l where id = ${licenseId}`,
  );
  return row;
}

beforeAll(async () => {
  server = await startProductionBuild(developmentEnv());
  client = new Client(server);
  await getDb()
    .insert(users)
    .values({ id: staffId, email: email("staff-api"), isStaff: true });
  readToken = (await createStaffToken({ name: "bb read", scope: "read" }, { id: staffId }, ctx)).token;
  writeToken = (await createStaffToken({ name: "bb write", scope: "write" }, { id: staffId }, ctx)).token;
});

afterAll(async () => {
  await server?.stop();
});

describe("staff API over HTTP", () => {
  it("search, read and change a license with a write token; the key stays masked", async () => {
    const { license, key } = await issueLicense({ plan: "professional", email: email("sa-life") }, ctx);
    const found = await get(`/licenses?q=${encodeURIComponent(license.email)}`, readToken);
    expect(found.status, found.text).toBe(200);
    expect(found.body.items.map((i: { id: string }) => i.id)).toEqual([license.id]);

    const suspended = await post(`/licenses/${license.id}/suspend`, { reason: "unpaid" }, writeToken);
    expect(suspended.status, suspended.text).toBe(200);
    expect(suspended.body.license).toMatchObject({ id: license.id, state: "suspended", keyMasked: license.keyMasked });
    const reinstated = await post(`/licenses/${license.id}/reinstate`, {}, writeToken);
    expect(reinstated.body.license.state).toBe("active");
    const extended = await post(`/licenses/${license.id}/extend`, { days: 30 }, writeToken);
    expect(new Date(extended.body.license.expiresAt).getTime()).toBeGreaterThan(license.expiresAt.getTime());
    const limits = await post(
      `/licenses/${license.id}/limits`,
      { maxClients: 60, maxTicketsPerMonth: 20_000, maxActivations: 7 },
      writeToken,
      "PATCH",
    );
    expect(limits.status, limits.text).toBe(200);
    expect(limits.body.license.limits).toMatchObject({ maxClients: 60, maxActivations: 7 });

    for (const path of ["", "/activations", "/usage"]) {
      const reply = await get(`/licenses/${license.id}${path}`, readToken);
      expect(reply.status, `${path}: ${reply.text}`).toBe(200);
      expect(reply.text).not.toContain(key);
    }
    const audit = await get(`/audit?licenseId=${license.id}`, readToken);
    expect(audit.body.items.map((i: { action: string }) => i.action)).toEqual(
      expect.arrayContaining(["license.suspended", "license.reinstated", "license.extended", "license.limits_changed"]),
    );
    expect(audit.body.items.find((i: { action: string }) => i.action === "license.suspended").actor).toMatch(
      /^api-token:/,
    );
  });

  it("a read token cannot write: 403 FORBIDDEN, nothing changed", async () => {
    const { license } = await issueLicense({ plan: "starter", email: email("sa-read") }, ctx);
    const before = await footprint(license.id);
    for (const [path, body, method] of [
      [`/licenses/${license.id}/suspend`, {}, "POST"],
      [`/licenses/${license.id}/revoke`, { reason: "x" }, "POST"],
      [`/licenses/${license.id}/extend`, { days: 5 }, "POST"],
      [`/licenses/${license.id}/limits`, { maxClients: 1, maxTicketsPerMonth: 1, maxActivations: 1 }, "PATCH"],
      ["/licenses", { plan: "starter", email: email("sa-read-issue"), days: 30 }, "POST"],
    ] as const) {
      expectError(await post(path, body, readToken, method), 403, "FORBIDDEN");
    }
    expect(await footprint(license.id)).toEqual(before);
  });

  it("a revoked token is refused at once; no token, a forged one, a license key: 401", async () => {
    const { token, view } = await createStaffToken({ name: "bb revoked", scope: "write" }, { id: staffId }, ctx);
    expect((await get("/licenses", token)).status).toBe(200);
    await revokeStaffToken(view.id, ctx);
    expectError(await get("/licenses", token), 401, "UNAUTHENTICATED");
    expectError(await get("/licenses"), 401, "UNAUTHENTICATED");
    // The token is checked before anything else: without one, a bad query or id says nothing about them.
    expectError(await get("/licenses?limit=5"), 401, "UNAUTHENTICATED");
    expectError(await get("/licenses/not-a-uuid/usage"), 401, "UNAUTHENTICATED");
    expectError(await get("/licenses", `tzs_${"A".repeat(43)}`), 401, "UNAUTHENTICATED");
    const { key } = await issueLicense({ plan: "starter", email: email("sa-key") }, ctx);
    expectError(await get("/licenses", key), 401, "UNAUTHENTICATED");
    // A session cookie is no staff token: the staff API never falls through to the pages.
    const cookie = await client.send(`${BASE}/licenses`, { headers: { Cookie: "authjs.session-token=x" } });
    expectError(cookie, 401, "UNAUTHENTICATED");
  });

  it("bad input: unknown keys, wrong types, SQL-looking ids, unknown paths and methods — stable codes, no change", async () => {
    const { license } = await issueLicense({ plan: "starter", email: email("sa-bad") }, ctx);
    const before = await footprint(license.id);
    expectError(
      await post(`/licenses/${license.id}/extend`, { days: 5, extra: 1 }, writeToken),
      400,
      "VALIDATION_FAILED",
    );
    expectError(await post(`/licenses/${license.id}/extend`, { days: "5" }, writeToken), 400, "VALIDATION_FAILED");
    expectError(
      await client.send(`${BASE}/licenses/${license.id}/extend`, {
        method: "POST",
        body: "{not json",
        headers: { ...bearer(writeToken), "Content-Type": "application/json" },
      }),
      400,
      "INVALID_JSON",
    );
    expectError(await get(`/licenses?plan=gold`, readToken), 400, "VALIDATION_FAILED");
    expectError(await get(`/licenses?limit=5`, readToken), 400, "VALIDATION_FAILED");
    expectError(await get(`/licenses/${encodeURIComponent("' or 1=1 --")}`, readToken), 404, "LICENSE_NOT_FOUND");
    expectError(await get(`/nothing-here`, readToken), 404, "NOT_FOUND");
    expectError(
      await client.send(`${BASE}/licenses`, { method: "DELETE", headers: bearer(writeToken) }),
      405,
      "METHOD_NOT_ALLOWED",
    );
    expect(await footprint(license.id)).toEqual(before);
  });

  it("no token appears in clear in the server's output", () => {
    for (const token of [readToken, writeToken]) expect(server.output()).not.toContain(token.slice(4));
  });
});

describe("the OpenAPI document", () => {
  it("describes every answer above (GET /api/openapi.json)", async () => {
    await expectAnswersDocumented(server);
  });
});
