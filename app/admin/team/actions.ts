"use server";

import type { Context } from "@ticketzero/core/license/audit";
import { isLicenseError } from "@ticketzero/core/license/errors";
import {
  acceptInvitation,
  changeMemberRole,
  declineInvitation,
  inviteMember,
  removeMember,
} from "@ticketzero/core/license/teams";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { sessionUser } from "@/lib/auth/session";
import { signInHref, userContext } from "../_lib/session";

/**
 * Team changes: each checks the session and the role on the server (in the
 * core, from the database), then lands back on the Team page with a notice
 * code (the page owns the words).
 */
async function run(teamId: string, work: (user: { id: string }, ctx: Context) => Promise<string>): Promise<never> {
  const user = await sessionUser();
  if (!user) redirect(signInHref("/admin/team"));
  let notice: string;
  try {
    notice = await work(user, userContext(user, teamId));
  } catch (error) {
    const reason = isLicenseError(error) ? (error.extra.details as { reason?: string } | undefined)?.reason : null;
    notice = isLicenseError(error) ? `error_${reason ?? error.code}` : "error_INTERNAL";
    if (!isLicenseError(error)) console.error("[team] change failed:", (error as Error)?.name);
  }
  revalidatePath("/admin", "layout");
  redirect(`/admin/team?${new URLSearchParams({ notice, team: teamId })}`);
}

export async function inviteMemberAction(teamId: string, formData: FormData): Promise<void> {
  await run(teamId, async (user, ctx) => {
    await inviteMember(user.id, teamId, formData.get("email"), formData.get("role"), ctx);
    return "invited";
  });
}

export async function changeRoleAction(teamId: string, formData: FormData): Promise<void> {
  await run(teamId, async (user, ctx) => {
    await changeMemberRole(user.id, teamId, formData.get("userId"), formData.get("role"), ctx);
    return "role_changed";
  });
}

export async function removeMemberAction(teamId: string, formData: FormData): Promise<void> {
  await run(teamId, async (user, ctx) => {
    const memberId = formData.get("userId");
    await removeMember(user.id, teamId, memberId, ctx);
    return memberId === user.id ? "left" : "removed";
  });
}

export async function acceptInvitationAction(teamId: string): Promise<void> {
  await run(teamId, async (user, ctx) => {
    await acceptInvitation(user.id, teamId, ctx);
    return "accepted";
  });
}

export async function declineInvitationAction(teamId: string): Promise<void> {
  await run(teamId, async (user, ctx) => {
    await declineInvitation(user.id, teamId, ctx);
    return "declined";
  });
}
