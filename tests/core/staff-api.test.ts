/**
 * The staff API's tokens and operations, in-process (tests/blackbox/staff-api.test.ts drives the
 * built server): a read token cannot write, a revoked token is refused at once, a token whose
 * creator is no longer staff is refused, every refusal changes nothing, and no token is kept in
 * clear anywhere in the database.
 */

import { getDb } from "@ticketzero/core/db/client";
import { users } from "@ticketzero/core/db/schema";
import { STAFF_OPERATIONS } from "@ticketzero/core/http/staff-api";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { createStaffToken, listStaffTokens, revokeStaffToken } from "@ticketzero/core/license/staff-tokens";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { callHandler, type Json, testEmail } from "../support/http";

const op = (id: string) => {
  const found = STAFF_OPERATIONS.find((o) => o.operationId === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found.handler;
};
const staffId = crypto.randomUUID();
const ctx = { actor: `staff:${staffId}` };
let readToken = "";
let writeToken = "";

async function stateOf(licenseId: string) {
  const rows = await getDb().execute<{ state: string; audits: number }>(
    sql`select state, (select count(*)::int from audit_events where license_id = l.id) as audits
          from licenses l where id = ${licenseId}`,
  );
  return rows[0];
}

beforeAll(async () => {
  await getDb()
    .insert(users)
    .values({ id: staffId, email: testEmail("staff-api"), isStaff: true });
  readToken = (await createStaffToken({ name: "CRM sync", scope: "read" }, { id: staffId }, ctx)).token;
  writeToken = (await createStaffToken({ name: "Billing", scope: "write" }, { id: staffId }, ctx)).token;
});

describe("staff API tokens", () => {
  it("a token is tzs_ and 43 characters, shown once: the database keeps its hash and prefix only", async () => {
    expect(readToken).toMatch(/^tzs_[A-Za-z0-9_-]{43}$/);
    const tables = await getDb().execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    for (const { table_name } of tables) {
      const secretPart = readToken.slice(8);
      const found = await getDb().execute<{ n: number }>(
        sql`select count(*)::int as n from ${sql.identifier(table_name)} t where t::text like ${`%${secretPart}%`}`,
      );
      expect(found[0]!.n, `the token in clear in ${table_name}`).toBe(0);
    }
    const listed = (await listStaffTokens()).find((t) => t.prefix === readToken.slice(0, 8));
    expect(listed).toMatchObject({ name: "CRM sync", scope: "read", revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(readToken.slice(8));
  });

  it("a read token reads but cannot write; the refusal changes nothing", async () => {
    const { license } = await issueLicense({ plan: "starter", email: testEmail("staff-api-r") }, ctx);
    const read = await callHandler(op("staffGetLicense"), { key: readToken, params: { id: license.id } });
    expect(read.status).toBe(200);
    expect((read.body as Json).license).toMatchObject({ id: license.id, keyMasked: license.keyMasked });
    const before = await stateOf(license.id);
    const write = await callHandler(op("staffSuspendLicense"), {
      key: readToken,
      params: { id: license.id },
      body: { reason: "test" },
    });
    expect(write.status).toBe(403);
    expect((write.body as Json).error.code).toBe("FORBIDDEN");
    expect(await stateOf(license.id)).toEqual(before);
  });

  it("a write token suspends through the same core function, audited as the token", async () => {
    const { license } = await issueLicense({ plan: "starter", email: testEmail("staff-api-w") }, ctx);
    const res = await callHandler(op("staffSuspendLicense"), {
      key: writeToken,
      params: { id: license.id },
      body: { reason: "unpaid" },
      ip: "198.51.100.7",
    });
    expect(res.status).toBe(200);
    expect((res.body as Json).license).toMatchObject({ state: "suspended", status: "suspended" });
    const audit = await getDb().execute<{ actor: string; ip: string }>(
      sql`select actor, ip from audit_events where license_id = ${license.id} and action = 'license.suspended'`,
    );
    expect(audit[0]!.actor).toMatch(/^api-token:[0-9a-f-]{36}$/);
    expect(audit[0]!.ip).toBe("198.51.100.7");
    // Suspending again is a CONFLICT and changes nothing.
    const before = await stateOf(license.id);
    const again = await callHandler(op("staffSuspendLicense"), { key: writeToken, params: { id: license.id } });
    expect(again.status).toBe(409);
    expect(await stateOf(license.id)).toEqual(before);
    const used = (await listStaffTokens()).find((t) => t.prefix === writeToken.slice(0, 8));
    expect(used!.lastUsedAt).not.toBeNull();
    expect(used!.lastUsedIp).toBe("198.51.100.7");
  });

  it("a revoked token is refused at once", async () => {
    const { token, view } = await createStaffToken({ name: "short-lived", scope: "write" }, { id: staffId }, ctx);
    const search = () => callHandler(op("staffSearchLicenses"), { key: token });
    expect((await search()).status).toBe(200);
    await revokeStaffToken(view.id, ctx);
    const refused = await search();
    expect(refused.status).toBe(401);
    expect((refused.body as Json).error.code).toBe("UNAUTHENTICATED");
    expect(await revokeStaffToken(view.id, ctx)).toEqual({ alreadyRevoked: true });
  });

  it("a token whose creator is no longer staff is refused", async () => {
    const formerId = crypto.randomUUID();
    await getDb()
      .insert(users)
      .values({ id: formerId, email: testEmail("staff-api-former"), isStaff: true });
    const { token } = await createStaffToken({ name: "leaver", scope: "read" }, { id: formerId }, ctx);
    await getDb().update(users).set({ isStaff: false }).where(eq(users.id, formerId));
    expect((await callHandler(op("staffSearchLicenses"), { key: token })).status).toBe(401);
  });

  it("bad input: no token, a malformed one, unknown query keys, unknown body keys, a malformed id", async () => {
    expect((await callHandler(op("staffSearchLicenses"))).status).toBe(401);
    expect((await callHandler(op("staffSearchLicenses"), { key: "tzs_' or 1=1 --" })).status).toBe(401);
    const unknownQuery = await callHandler(op("staffSearchLicenses"), { key: readToken, query: { limit: "5" } });
    expect(unknownQuery.status).toBe(400);
    expect((unknownQuery.body as Json).error.code).toBe("VALIDATION_FAILED");
    const { license } = await issueLicense({ plan: "starter", email: testEmail("staff-api-bad") }, ctx);
    const before = await stateOf(license.id);
    const extra = await callHandler(op("staffExtendLicense"), {
      key: writeToken,
      params: { id: license.id },
      body: { days: 30, note: "x" },
    });
    expect(extra.status).toBe(400);
    const wrongType = await callHandler(op("staffExtendLicense"), {
      key: writeToken,
      params: { id: license.id },
      body: { days: "30" },
    });
    expect(wrongType.status).toBe(400);
    expect(await stateOf(license.id)).toEqual(before);
    const malformed = await callHandler(op("staffGetLicense"), { key: readToken, params: { id: "1; drop table x" } });
    expect(malformed.status).toBe(404);
    expect((malformed.body as Json).error.code).toBe("LICENSE_NOT_FOUND");
  });

  it("issue with custom limits: the key once, then masked everywhere", async () => {
    const res = await callHandler(op("staffIssueLicense"), {
      key: writeToken,
      body: { plan: "enterprise", email: testEmail("staff-api-issue"), days: 365, limits: { maxActivations: 40 } },
    });
    expect(res.status).toBe(201);
    const body = res.body as Json;
    expect(body.licenseKey).toMatch(/^TZ-ENT-/);
    expect(body.license.limits.maxActivations).toBe(40);
    const detail = await callHandler(op("staffGetLicense"), { key: readToken, params: { id: body.license.id } });
    expect(JSON.stringify(detail.body)).not.toContain(body.licenseKey);
    const search = await callHandler(op("staffSearchLicenses"), { key: readToken, query: { q: body.licenseKey } });
    expect((search.body as Json).items.map((i: Json) => i.id)).toEqual([body.license.id]);
  });
});
