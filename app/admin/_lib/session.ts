/**
 * Session checks for the Admin Panel: every page and every server action
 * calls one of these on the server, whatever the layout or proxy did.
 */
import "server-only";
import { currentClientIp } from "@ticketzero/core/http/client-ip";
import type { Context } from "@ticketzero/core/license/audit";
import { redirect } from "next/navigation";
import type { ActionResult } from "@/components/license/action-result";
import { sessionUser } from "@/lib/auth/session";

export type SessionUser = { id: string; email: string };

/** A relative path on this site, or the fallback: never an open redirect. */
export function safeCallbackPath(raw: unknown, fallback = "/admin"): string {
  if (typeof raw !== "string" || raw.length > 512) return fallback;
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return fallback;
  return raw;
}

export function signInHref(callbackPath: string): string {
  return `/signin?callbackUrl=${encodeURIComponent(safeCallbackPath(callbackPath))}`;
}

/** For pages: the signed-in user, or a redirect to the sign-in page that comes back here. */
export async function requireUser(callbackPath: string): Promise<SessionUser> {
  const user = await sessionUser();
  if (!user) redirect(signInHref(callbackPath));
  return user;
}

export const SIGNED_OUT: ActionResult = {
  ok: false,
  code: "UNAUTHENTICATED",
  message: "Your session has ended. Sign in again to continue.",
};

/** The audit context of a signed-in person acting in the Admin Panel (optionally about one team). */
export function userContext(user: { id: string }, teamId?: string): Context & { ip: string } {
  return { actor: `user:${user.id}`, ip: currentClientIp(), accountId: user.id, ...(teamId ? { teamId } : {}) };
}
