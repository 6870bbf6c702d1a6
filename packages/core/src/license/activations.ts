/**
 * Activating and deactivating installations. The license row is locked for
 * the duration, so `maxActivations` holds exactly however many requests race,
 * in however many processes.
 */
import { randomUUID } from "node:crypto";
import { and, count, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { activations, licenses } from "../db/schema";
import { type Context, recordAudit } from "./audit";
import { LicenseError } from "./errors";
import { parseKey } from "./keys";
import { assertUsable, attachToAccount, findByKey, type LicenseRow } from "./licenses";

export type ActivationRow = typeof activations.$inferSelect;
export type ActivateInput = { licenseKey: string; instanceId?: string; instanceName?: string };
export type ActivateResult = { license: LicenseRow; activation: ActivationRow; created: boolean };

export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export async function activateLicense(input: ActivateInput, ctx: Context): Promise<ActivateResult> {
  const now = ctx.now ?? new Date();
  const instanceId = input.instanceId ?? `inst-${randomUUID()}`;
  const parsed = parseKey(input.licenseKey);
  let refusedLicenseId: string | null = null;
  try {
    return await getDb().transaction(async (tx) => {
      const license = await findByKey(input.licenseKey, tx, true);
      refusedLicenseId = license.id;
      assertUsable(license, now);
      if (ctx.accountId) await attachToAccount(tx, license, ctx.accountId, ctx);

      const [existing] = await tx
        .update(activations)
        .set({ lastSeenAt: now, ...(input.instanceName ? { instanceName: input.instanceName } : {}) })
        .where(and(eq(activations.licenseId, license.id), eq(activations.instanceId, instanceId)))
        .returning();
      if (existing) return { license, activation: existing, created: false };

      const [{ used } = { used: 0 }] = await tx
        .select({ used: count() })
        .from(activations)
        .where(eq(activations.licenseId, license.id));
      if (used >= license.maxActivations) {
        throw new LicenseError(
          "ACTIVATION_LIMIT_REACHED",
          `All ${license.maxActivations} activations of this license are in use. Deactivate an installation first.`,
        );
      }
      const [activation] = await tx
        .insert(activations)
        .values({
          licenseId: license.id,
          instanceId,
          instanceName: input.instanceName ?? null,
          activatedAt: now,
          lastSeenAt: now,
        })
        .returning();
      await recordAudit(tx, ctx, {
        licenseId: license.id,
        action: "activation.created",
        detail: { instanceId, instanceName: input.instanceName ?? null, slot: used + 1 },
      });
      await tx.update(licenses).set({ updatedAt: now }).where(eq(licenses.id, license.id));
      return { license, activation: activation!, created: true };
    });
  } catch (error) {
    if (error instanceof LicenseError) {
      // The transaction rolled back; the refusal itself is still recorded.
      await recordAudit(getDb(), ctx, {
        licenseId: refusedLicenseId,
        action: "activation.refused",
        detail: { code: error.code, instanceId, key: parsed ? undefined : "malformed" },
      }).catch(() => {});
    }
    throw error;
  }
}

export async function deactivateInstallation(
  target: { licenseKey: string } | { licenseId: string },
  instanceId: string,
  ctx: Context,
): Promise<void> {
  await getDb().transaction(async (tx) => {
    const licenseId = "licenseId" in target ? target.licenseId : (await findByKey(target.licenseKey, tx)).id;
    const [removed] = await tx
      .delete(activations)
      .where(and(eq(activations.licenseId, licenseId), eq(activations.instanceId, instanceId)))
      .returning({ id: activations.id });
    if (!removed) throw new LicenseError("INSTANCE_NOT_ACTIVATED", `Installation "${instanceId}" is not activated.`);
    await recordAudit(tx, ctx, { licenseId, action: "activation.removed", detail: { instanceId } });
  });
}
