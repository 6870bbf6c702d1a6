import "server-only";
import { type StaffAccess, type StaffUser, staffStanding } from "@ticketzero/core/license/backoffice";
import { forbidden, redirect } from "next/navigation";
import { sessionUser } from "./session";

/** The session's standing in the back office. */
export async function staffAccess(): Promise<StaffAccess> {
  return staffStanding(await sessionUser());
}

/**
 * For pages: the staff user. Signed out → the sign-in page (back to
 * `callbackPath`); signed in but not staff → the 403 "Staff only" page
 * (app/forbidden.tsx, with HTTP status 403 when it runs before streaming starts).
 */
export async function requireStaff(callbackPath = "/staff"): Promise<StaffUser> {
  const access = await staffAccess();
  if (access.kind === "signed_out") return redirect(`/signin?callbackUrl=${encodeURIComponent(callbackPath)}`);
  if (access.kind === "forbidden") return forbidden();
  return access.user;
}
