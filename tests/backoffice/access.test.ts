/**
 * requireStaff / staffAccess with the session and Next's redirect and forbidden stubbed:
 * signed out → sign-in with a callback, signed in but not staff → forbidden()
 * (the 403 page), staff by users.is_staff or by STAFF_EMAILS (read fresh from the DB).
 */

import { randomBytes } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { users } from "@ticketzero/core/db/schema";
import { ensureUser } from "@ticketzero/core/license/teams";
import { resetConfig } from "@ticketzero/core/server/config";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";

const session = vi.hoisted(() => ({ current: null as { id: string; email: string } | null }));
vi.mock("@/lib/auth/session", () => ({ sessionUser: async () => session.current }));
vi.mock("next/navigation", () => ({
  redirect: (url: string) => {
    throw Object.assign(new Error("NEXT_REDIRECT"), { url });
  },
  forbidden: () => {
    throw Object.assign(new Error("NEXT_HTTP_ERROR_FALLBACK;403"), { url: FORBIDDEN });
  },
}));

const FORBIDDEN = "403 forbidden()";
const { requireStaff, staffAccess } = await import("@/lib/auth/staff");

const email = (what: string) => `bo-access-${what}-${randomBytes(6).toString("hex")}@example.test`;
const redirectOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { url?: string }) => error.url ?? Promise.reject(error),
  );

afterEach(() => {
  session.current = null;
  delete process.env.STAFF_EMAILS;
  resetConfig();
});

describe("requireStaff", () => {
  it("sends a signed-out visitor to sign in, coming back to the page", async () => {
    expect(await staffAccess()).toEqual({ kind: "signed_out" });
    expect(await redirectOf(requireStaff())).toBe("/signin?callbackUrl=%2Fstaff");
    expect(await redirectOf(requireStaff("/staff/licenses"))).toBe("/signin?callbackUrl=%2Fstaff%2Flicenses");
  });

  it("sends a signed-in customer to the 403 Staff only page", async () => {
    const who = email("customer");
    session.current = { id: (await ensureUser(getDb(), who)).id, email: who };
    expect((await staffAccess()).kind).toBe("forbidden");
    expect(await redirectOf(requireStaff())).toBe(FORBIDDEN);
  });

  it("lets in users.is_staff, and takes the flag away at once", async () => {
    const who = email("flag");
    const id = (await ensureUser(getDb(), who)).id;
    await getDb().update(users).set({ isStaff: true }).where(eq(users.id, id));
    session.current = { id, email: who };
    expect(await requireStaff()).toEqual({ id, email: who });
    await getDb().update(users).set({ isStaff: false }).where(eq(users.id, id));
    expect(await redirectOf(requireStaff())).toBe(FORBIDDEN);
  });

  it("lets in an email listed in STAFF_EMAILS (any case)", async () => {
    const who = email("env");
    const id = (await ensureUser(getDb(), who)).id;
    session.current = { id, email: who };
    process.env.STAFF_EMAILS = `someone@vendor.test, ${who.toUpperCase()}`;
    resetConfig();
    expect((await staffAccess()).kind).toBe("staff");
    expect(await requireStaff()).toEqual({ id, email: who });
  });
});
