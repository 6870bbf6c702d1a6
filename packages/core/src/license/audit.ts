import type { DbOrTx } from "../db/client";
import { auditEvents } from "../db/schema";
import { emitForAudit } from "./webhook-events";

export type Context = {
  /** Who acts: `installation:<instanceId>`, `user:<id>`, `cli`, `stripe`, `public`. */
  actor: string;
  ip?: string | null;
  /** The signed-in user (a user id), when a person acts through the portal. */
  accountId?: string | null;
  /** The team a change is about (members, roles, claims), recorded with the event. */
  teamId?: string | null;
  now?: Date;
};

export type AuditEntry = { licenseId?: string | null; action: string; detail?: Record<string, unknown> };

/** Every change and every refused activation leaves a row; keys appear masked only. */
export async function recordAudit(db: DbOrTx, ctx: Context, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    licenseId: entry.licenseId ?? null,
    teamId: ctx.teamId ?? null,
    actor: ctx.actor,
    action: entry.action,
    detail: entry.detail ?? {},
    ip: ctx.ip ?? null,
  });
  // Outbound webhooks: the events this change stands for, in the same transaction (the outbox).
  await emitForAudit(db, entry, ctx.now);
}
