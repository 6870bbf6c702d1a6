import {
  invitationsOf,
  membersOf,
  ROLE_WORDS,
  ROLES,
  type Role,
  teamsOfUserEnsured,
} from "@ticketzero/core/license/teams";
import type { Metadata } from "next";
import { formatDate } from "@/components/license/format";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { ConfirmDisclosure } from "@/components/ui/confirm-disclosure";
import { Input, Label } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { signOutEverywhereAction } from "../../signin/actions";
import { requireUser } from "../_lib/session";
import {
  acceptInvitationAction,
  changeRoleAction,
  declineInvitationAction,
  inviteMemberAction,
  removeMemberAction,
} from "./actions";

export const metadata: Metadata = { title: "Team" };

const SELECT =
  "block h-10 rounded-lg bg-white px-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus-visible:outline-2 focus-visible:outline-brand-600";

const ROLE_HELP: Record<Role, string> = {
  owner: "everything, including the team and billing",
  admin: "runs the license: keys, installations, upgrades, renewals, billing",
  viewer: "sees status, usage and installations; changes nothing",
};

/** Fixed notice codes from the actions: a link cannot put words on this page. */
const NOTICES: Record<string, { tone: "success" | "error"; text: string }> = {
  invited: {
    tone: "success",
    text: "Invitation sent. They sign in with a one-time link mailed to that address and accept it; until then they see nothing.",
  },
  accepted: { tone: "success", text: "Invitation accepted: the team’s licenses are in License & Billing now." },
  declined: { tone: "success", text: "Invitation declined. Nothing changed on your account." },
  role_changed: { tone: "success", text: "Role changed. It applies from their next click." },
  removed: { tone: "success", text: "Removed. Their access to this team’s licenses ended at once." },
  left: { tone: "success", text: "You left the team." },
  error_ALREADY_MEMBER: { tone: "error", text: "That person is already on this team." },
  error_LAST_OWNER: {
    tone: "error",
    text: "A team always keeps an owner: make someone else an owner first, then change or remove this one.",
  },
  error_VALIDATION_FAILED: { tone: "error", text: "Enter a valid email address and choose a role." },
  error_FORBIDDEN: { tone: "error", text: "Only an owner of this team can change its members." },
  error_NOT_FOUND: { tone: "error", text: "That person is not on this team any more." },
  error_UNAVAILABLE: { tone: "error", text: "The service is briefly unavailable. Nothing changed; try again." },
  error_INTERNAL: { tone: "error", text: "Something went wrong. Nothing changed; try again in a moment." },
};

export default async function TeamPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser("/admin/team");
  const query = await searchParams;
  const code = Array.isArray(query.notice) ? query.notice[0] : query.notice;
  const notice = code ? NOTICES[code] : undefined;
  const [teams, invitations] = await Promise.all([teamsOfUserEnsured(user.id), invitationsOf(user.id)]);
  const withMembers = await Promise.all(
    teams.map(async (team) => ({ ...team, members: await membersOf(team.teamId) })),
  );

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-bold sm:text-3xl">Team</h1>
        <p className="mt-1 text-slate-600">The people at your MSP who can see and run your TicketZero licenses.</p>
      </div>

      {notice ? (
        <Alert tone={notice.tone} announce={notice.tone === "error" ? "alert" : "status"}>
          {notice.text}
        </Alert>
      ) : null}

      {invitations.length > 0 ? (
        <Card as="section" aria-labelledby="invitations-heading" emphasis>
          <CardHeader
            id="invitations-heading"
            title="Invitations"
            description="Accept to see and help run that team’s licenses. Nothing changes for you until you do."
          />
          <ul className="mt-3 divide-y divide-slate-100">
            {invitations.map((invitation) => (
              <li key={invitation.teamId} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <p className="min-w-0 break-all text-slate-900">
                  <span className="font-medium">{invitation.name}</span>{" "}
                  <span className="text-sm text-slate-600">as {ROLE_WORDS[invitation.role].toLowerCase()}</span>
                </p>
                <div className="flex flex-wrap gap-2">
                  <form action={acceptInvitationAction.bind(null, invitation.teamId)}>
                    <SubmitButton size="sm" aria-label={`Accept: ${invitation.name}`}>
                      Accept
                    </SubmitButton>
                  </form>
                  <form action={declineInvitationAction.bind(null, invitation.teamId)}>
                    <SubmitButton size="sm" variant="secondary" aria-label={`Decline: ${invitation.name}`}>
                      Decline
                    </SubmitButton>
                  </form>
                </div>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}

      {withMembers.map((team) => {
        const owner = team.role === "owner";
        const headingId = `team-${team.teamId}`;
        return (
          <Card as="section" key={team.teamId} aria-labelledby={headingId}>
            <CardHeader
              id={headingId}
              title={team.name}
              description={`Your role: ${ROLE_WORDS[team.role]} (${ROLE_HELP[team.role]}).`}
            />
            <ul className="mt-4 divide-y divide-slate-100" aria-label={`Members of ${team.name}`}>
              {team.members.map((member) => {
                const self = member.userId === user.id;
                return (
                  <li key={member.userId} className="flex flex-wrap items-center justify-between gap-3 py-3">
                    <div className="min-w-0">
                      <p className="break-all font-medium text-slate-900">
                        {member.email}
                        {self ? <span className="font-normal text-slate-600"> (you)</span> : null}
                      </p>
                      <p className="text-xs text-slate-600">
                        {member.pending
                          ? `Invited ${formatDate(member.since)}, not accepted yet`
                          : `Member since ${formatDate(member.since)}`}
                      </p>
                    </div>
                    <div className="flex flex-wrap items-center gap-2">
                      {owner ? (
                        <form action={changeRoleAction.bind(null, team.teamId)} className="flex items-center gap-2">
                          <input type="hidden" name="userId" value={member.userId} />
                          <label className="sr-only" htmlFor={`role-${team.teamId}-${member.userId}`}>
                            Role of {member.email}
                          </label>
                          <select
                            id={`role-${team.teamId}-${member.userId}`}
                            name="role"
                            defaultValue={member.role}
                            className={SELECT}
                          >
                            {ROLES.map((role) => (
                              <option key={role} value={role}>
                                {ROLE_WORDS[role]}
                              </option>
                            ))}
                          </select>
                          <SubmitButton variant="secondary" size="sm" aria-label={`Change the role of ${member.email}`}>
                            Change
                          </SubmitButton>
                        </form>
                      ) : (
                        <Badge tone={member.role === "owner" ? "brand" : "neutral"}>{ROLE_WORDS[member.role]}</Badge>
                      )}
                      {owner || self ? (
                        <ConfirmDisclosure
                          label={self ? "Leave…" : member.pending ? "Withdraw…" : "Remove…"}
                          tone="danger"
                          title={
                            self
                              ? `Leave ${team.name}?`
                              : member.pending
                                ? `Withdraw the invitation to ${member.email}?`
                                : `Remove ${member.email}?`
                          }
                          body={
                            self
                              ? "You lose access to this team’s licenses at once. An owner can add you again."
                              : `${member.email} loses access to this team’s licenses at once. Their installations keep running; nothing else changes.`
                          }
                          action={removeMemberAction.bind(null, team.teamId)}
                          fields={{ userId: member.userId }}
                          submit={self ? "Leave team" : member.pending ? "Withdraw invitation" : "Remove from team"}
                        />
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ul>

            {owner ? (
              <form
                action={inviteMemberAction.bind(null, team.teamId)}
                className="mt-6 grid gap-3 rounded-xl bg-slate-50 p-4 sm:grid-cols-[1fr_auto_auto] sm:items-end"
                aria-label={`Invite someone to ${team.name}`}
              >
                <div>
                  <Label htmlFor={`invite-email-${team.teamId}`}>Invite by email</Label>
                  <Input
                    id={`invite-email-${team.teamId}`}
                    name="email"
                    type="email"
                    required
                    maxLength={254}
                    autoComplete="off"
                    placeholder="colleague@your-msp.com"
                    className="mt-1"
                  />
                </div>
                <div>
                  <Label htmlFor={`invite-role-${team.teamId}`}>Role</Label>
                  <select
                    id={`invite-role-${team.teamId}`}
                    name="role"
                    defaultValue="admin"
                    className={`${SELECT} mt-1 w-full`}
                  >
                    <option value="admin">Admin</option>
                    <option value="viewer">Read-only</option>
                    <option value="owner">Owner</option>
                  </select>
                </div>
                <SubmitButton>Send invitation</SubmitButton>
                <p className="text-xs text-slate-500 sm:col-span-3">
                  They get a mail with a sign-in link to that address; there is no password to set.
                </p>
              </form>
            ) : null}
          </Card>
        );
      })}

      <Card as="section" aria-labelledby="sessions-heading">
        <CardHeader
          id="sessions-heading"
          title="Sessions"
          description="Signed in on a shared or lost device? End every session of yours, this one included."
        />
        <div className="mt-4">
          <ConfirmDisclosure
            label="Sign out everywhere…"
            tone="danger"
            title="Sign out on every device?"
            body="Every browser signed in as you is signed out at once, this one included. You sign in again with a new link."
            action={signOutEverywhereAction}
            fields={{}}
            submit="Sign out everywhere"
          />
        </div>
      </Card>
    </div>
  );
}
