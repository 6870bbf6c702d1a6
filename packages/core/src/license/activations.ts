/**
 * Activating and deactivating installations. The license row is locked for
 * the duration, so `maxActivations` and the swap allowance hold exactly
 * however many requests race, in however many processes. The invariant and
 * why it holds: slots.ts.
 */
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { type DbOrTx, getDb } from "../db/client";
import { activations, airGappedRequests, licenses, slotSwaps } from "../db/schema";
import { config } from "../server/config";
import { consumeNewSlotBudget } from "../server/rate-limit";
import { type Context, recordAudit } from "./audit";
import { isLicenseError, LicenseError } from "./errors";
import { parseKey } from "./keys";
import { assertUsable, findById, findByKey, type LicenseRow } from "./licenses";
import {
  heartbeatWindowSeconds,
  retryAfterSeconds,
  type SlotFactsRow,
  slotFactsJoin,
  slotFactsOf,
  slotSummary,
} from "./slots";
import { attachForUser } from "./teams";
import type { SlotSummary } from "./types";

export type ActivationRow = typeof activations.$inferSelect;
/**
 * An air-gapped activation (docs/AIR-GAPPED.md): the installation's public key and request nonce,
 * and the signer of its license file, called inside the activation's transaction with the row
 * locked, so the file, the slot and the row's expiry change together or not at all.
 */
export type AirGappedBinding = {
  publicKey: string;
  nonce: string;
  fileExpiresAt: Date;
  signFile: (license: LicenseRow, file: { id: string; instanceId: string; expiresAt: Date }) => string;
};
export type ActivateInput = {
  licenseKey: string;
  instanceId?: string;
  instanceName?: string;
  airGapped?: AirGappedBinding;
};
export type ActivateResult = { license: LicenseRow; activation: ActivationRow; created: boolean };
/** Who deactivated an installation (stored in `deactivated_by`). */
export type DeactivatedBy = "installation" | "account" | "staff" | "cli" | "heartbeat";

export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The slots of a license at `now`, read inside `tx` (after the license row is locked, exact). */
export async function slotsOf(tx: DbOrTx, license: LicenseRow, now: Date): Promise<SlotSummary> {
  return slotSummary(license, slotFactsOf(await slotFactsRowOf(tx, license, now)));
}

/** The raw slot facts (taken slots, clients of the active installations, swaps …) of one license at `now`. */
export async function slotFactsRowOf(tx: DbOrTx, license: LicenseRow, now: Date): Promise<SlotFactsRow> {
  const [row] = await tx.execute<SlotFactsRow>(
    sql.raw(`select * from (select 1) one ${slotFactsSqlFor(license, now)}`),
  );
  return row!;
}

/** The slot facts of one stored license (its id and the time are the only values inlined: a uuid and an ISO date). */
export function slotFactsSqlFor(license: LicenseRow, now: Date): string {
  const window = heartbeatWindowSeconds(license, config().certificateTtlSeconds) ?? 0;
  return slotFactsJoin(`'${license.id}'::uuid`, `'${now.toISOString()}'::timestamptz`, `${Math.trunc(window)}`);
}

/**
 * The columns an air-gapped activation sets: a new license file (new id), its request's nonce
 * remembered for good (air_gapped_requests). The caller raises the row's certificate expiry to the
 * file's, so a held slot lasts as long as the file can run.
 */
async function airGappedColumns(tx: DbOrTx, license: LicenseRow, instanceId: string, binding: AirGappedBinding) {
  const file = { id: randomUUID(), instanceId, expiresAt: binding.fileExpiresAt };
  await tx
    .insert(airGappedRequests)
    .values({ licenseId: license.id, nonce: binding.nonce, instanceId, licenseFileId: file.id });
  return {
    kind: "air_gapped",
    instancePublicKey: binding.publicKey,
    licenseFileId: file.id,
    licenseFileNonce: binding.nonce,
    licenseFile: binding.signFile(license, file),
    licenseFileExpiresAt: file.expiresAt,
  };
}

/** An air-gapped row's file, retired: no longer downloadable, its code used. */
const RETIRED_FILE = { licenseFileId: null, licenseFileNonce: null, licenseFile: null, licenseFileExpiresAt: null };

/**
 * Whether an air-gapped row's license file may still run at `now`: issued, not retired by its
 * deactivation code, not expired. Such a row stays air-gapped (no swap, no heartbeat, no staff
 * release) whatever else happens to the instance id.
 */
export function licenseFileMayRun(row: ActivationRow, now: Date): boolean {
  return (
    row.kind === "air_gapped" &&
    row.licenseFile !== null &&
    !!row.licenseFileExpiresAt &&
    row.licenseFileExpiresAt > now
  );
}

/**
 * One installation is online or air-gapped, never both: a deactivation code proves a license file
 * gone, not an online certificate, and an online check-in must not get a file's lifetime. And a
 * file stays bound to the instance key it was issued for.
 */
function assertOneKind(
  existing: ActivationRow | undefined,
  binding: AirGappedBinding | undefined,
  instanceId: string,
  now: Date,
): void {
  const holdsSlot =
    existing && (existing.deactivatedAt === null || (existing.slotFreesAt && existing.slotFreesAt > now));
  if (binding && holdsSlot && existing.kind === "online") {
    throw new LicenseError(
      "INSTANCE_ACTIVE_ONLINE",
      `Installation "${instanceId}" is activated online. Deactivate it first (its slot frees under the usual rules), or make the request on another installation.`,
    );
  }
  if (!binding && existing && licenseFileMayRun(existing, now)) {
    throw new LicenseError(
      "INSTANCE_AIR_GAPPED",
      `Installation "${instanceId}" is licensed by a license file until ${existing.licenseFileExpiresAt!.toISOString()}. To bring it online, run tz-license offline-deactivate on it and enter the code in License & Billing first.`,
    );
  }
  if (binding && holdsSlot && existing.instancePublicKey && existing.instancePublicKey !== binding.publicKey) {
    throw new LicenseError(
      "INSTANCE_KEY_MISMATCH",
      `Installation "${instanceId}" already holds a license file bound to another instance key. Deactivate it first, or make the request on that installation.`,
    );
  }
}

export async function activateLicense(input: ActivateInput, ctx: Context): Promise<ActivateResult> {
  const now = ctx.now ?? new Date();
  const instanceId = input.instanceId ?? `inst-${randomUUID()}`;
  const parsed = parseKey(input.licenseKey);
  let refusedLicenseId: string | null = null;
  const onlineCertificateUntil = new Date(now.getTime() + config().certificateTtlSeconds * 1000);
  // The longest any certificate or license file issued now can run: what a held slot must outlast.
  const certificateUntil =
    input.airGapped && input.airGapped.fileExpiresAt > onlineCertificateUntil
      ? input.airGapped.fileExpiresAt
      : onlineCertificateUntil;
  try {
    return await getDb().transaction(async (tx) => {
      const license = await findByKey(input.licenseKey, tx, true);
      refusedLicenseId = license.id;
      assertUsable(license, now);
      if (ctx.accountId) await attachForUser(tx, license, ctx.accountId, ctx);

      const [existing] = await tx
        .select()
        .from(activations)
        .where(and(eq(activations.licenseId, license.id), eq(activations.instanceId, instanceId)))
        .for("update");
      const name = input.instanceName ? { instanceName: input.instanceName } : {};
      const binding = input.airGapped;
      if (binding) {
        // A request is answered once: again only while its file is the installation's current one.
        const [answered] = await tx
          .select({ nonce: airGappedRequests.nonce })
          .from(airGappedRequests)
          .where(and(eq(airGappedRequests.licenseId, license.id), eq(airGappedRequests.nonce, binding.nonce)));
        if (answered) {
          if (
            existing &&
            existing.deactivatedAt === null &&
            existing.licenseFileNonce === binding.nonce &&
            existing.licenseFile
          ) {
            return { license, activation: existing, created: false }; // the same request again: the same file
          }
          throw new LicenseError(
            "REQUEST_ALREADY_USED",
            "This request file was answered before and is not the installation's current request. Write a new request on the installation (tz-license offline-request) and upload that.",
          );
        }
      }
      assertOneKind(existing, binding, instanceId, now);

      if (existing && existing.deactivatedAt === null) {
        const [again] = await tx
          .update(activations)
          .set({
            lastSeenAt: now,
            ...name,
            // Its file expired before the heartbeat job noticed: an online installation from now on.
            ...(!binding && existing.kind === "air_gapped"
              ? { kind: "online", instancePublicKey: null, ...RETIRED_FILE }
              : {}),
            ...(binding
              ? {
                  ...(await airGappedColumns(tx, license, instanceId, binding)),
                  certificateExpiresAt: sql`greatest(${activations.certificateExpiresAt}, ${binding.fileExpiresAt.toISOString()}::timestamptz)`,
                }
              : {}),
          })
          .where(eq(activations.id, existing.id))
          .returning();
        return { license, activation: again!, created: false };
      }

      // A deactivated installation whose slot is still held takes that slot back: nothing new runs.
      const reclaim = existing?.slotFreesAt && existing.slotFreesAt > now;
      if (!reclaim && license.state === "superseded") {
        // In its grace period the old key keeps its installations running, but takes no new ones.
        throw new LicenseError(
          "LICENSE_SUPERSEDED",
          "This key was replaced by an upgrade: activate new installations with the new key.",
        );
      }
      if (!reclaim) {
        const slots = await slotsOf(tx, license, now);
        if (slots.used >= license.maxActivations) {
          const wait = retryAfterSeconds(slots, now);
          throw new LicenseError(
            "ACTIVATION_LIMIT_REACHED",
            `All ${license.maxActivations} activations of this license are in use.${slots.nextFreesAt ? ` The next slot frees by ${slots.nextFreesAt}.` : ""} Deactivate an installation first.`,
            {
              retryAfterSeconds: wait,
              details: { nextSlotFreesAt: slots.nextFreesAt, swapsLeft: slots.swapsLeft, retryAfterSeconds: wait },
            },
          );
        }
        // The license's hourly budget of new slots: spent only here, so a refused installation's retries never touch it.
        if (parsed) await consumeNewSlotBudget(parsed.key);
      }

      const fresh = {
        instanceName: input.instanceName ?? existing?.instanceName ?? null,
        activatedAt: now,
        lastSeenAt: now,
        clients: 0,
        deactivatedAt: null,
        deactivatedBy: null,
        slotFreesAt: null,
        ...(binding
          ? await airGappedColumns(tx, license, instanceId, binding)
          : existing && existing.kind === "air_gapped" && !licenseFileMayRun(existing, now)
            ? // Back online with its file retired or expired: an online installation from now on.
              { kind: "online", instancePublicKey: null, ...RETIRED_FILE }
            : {}),
      };
      const [activation] = existing
        ? await tx
            .update(activations)
            .set({
              ...fresh,
              // A reclaimed slot keeps the later of the certificates: the one it may still hold.
              certificateExpiresAt: sql`greatest(${activations.certificateExpiresAt}, ${certificateUntil.toISOString()}::timestamptz)`,
            })
            .where(eq(activations.id, existing.id))
            .returning()
        : await tx
            .insert(activations)
            .values({
              licenseId: license.id,
              instanceId,
              ...fresh,
              certificateExpiresAt: certificateUntil,
            })
            .returning();
      await recordAudit(tx, ctx, {
        licenseId: license.id,
        action: reclaim ? "activation.reclaimed" : "activation.created",
        detail: { instanceId, instanceName: activation!.instanceName, ...(binding ? { airGapped: true } : {}) },
      });
      await tx.update(licenses).set({ updatedAt: now }).where(eq(licenses.id, license.id));
      return { license, activation: activation!, created: true };
    });
  } catch (error) {
    if (isLicenseError(error)) {
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

export type DeactivateResult = {
  instanceId: string;
  /** When the slot is free for another installation (now, or when its certificate expires). */
  slotFreesAt: Date;
  swapUsed: boolean;
  alreadyDeactivated: boolean;
  slots: SlotSummary;
};

/**
 * Deactivates an installation. Its slot frees at once when its certificate
 * has expired, or by a swap while the license has swaps left; otherwise it
 * stays taken until that certificate expires (the installation can run
 * until then). A heartbeat deactivation never spends a swap. Idempotent:
 * an installation already deactivated answers its earlier result.
 */
export async function deactivateInstallation(
  target: { licenseKey: string } | { licenseId: string },
  instanceId: string,
  ctx: Context,
  by: DeactivatedBy = "installation",
  /** An air-gapped installation's verified deactivation code: the file it deleted, its last request (offline.ts). */
  removalProof?: { licenseFileId: string; nonce: string },
): Promise<DeactivateResult> {
  const now = ctx.now ?? new Date();
  return getDb().transaction(async (tx) => {
    const license =
      "licenseId" in target ? await findById(target.licenseId, tx, true) : await findByKey(target.licenseKey, tx, true);
    // Locked: a status check-in extending this row's certificate expiry is waited for, so the
    // held slot lasts as long as the newest certificate (license-status.ts never takes the license lock).
    const [row] = await tx
      .select()
      .from(activations)
      .where(and(eq(activations.licenseId, license.id), eq(activations.instanceId, instanceId)))
      .for("update");
    if (!row) throw new LicenseError("INSTANCE_NOT_ACTIVATED", `Installation "${instanceId}" is not activated.`);
    if (removalProof) return freeByRemovalProof(tx, license, row, removalProof, now, ctx, by);
    if (row.deactivatedAt) {
      return {
        instanceId,
        slotFreesAt: row.slotFreesAt ?? row.deactivatedAt,
        swapUsed: false,
        alreadyDeactivated: true,
        slots: await slotsOf(tx, license, now),
      };
    }
    const certificateEnd = row.certificateExpiresAt && row.certificateExpiresAt > now ? row.certificateExpiresAt : null;
    const before = await slotsOf(tx, license, now);
    // A license file outlives the 30-day swap window, so only its deactivation code frees its slot early.
    const swapUsed =
      certificateEnd !== null && by !== "heartbeat" && !licenseFileMayRun(row, now) && before.swapsLeft > 0;
    const slotFreesAt = certificateEnd && !swapUsed ? certificateEnd : now;
    await tx
      .update(activations)
      .set({ deactivatedAt: now, deactivatedBy: by, slotFreesAt })
      .where(eq(activations.id, row.id));
    if (swapUsed) await tx.insert(slotSwaps).values({ licenseId: license.id, instanceId, at: now });
    const slots = await slotsOf(tx, license, now);
    await recordAudit(tx, ctx, {
      licenseId: license.id,
      action: "activation.removed",
      detail: { instanceId, by, slotFreesAt: slotFreesAt.toISOString(), swapUsed, swapsLeft: slots.swapsLeft },
    });
    return { instanceId, slotFreesAt, swapUsed, alreadyDeactivated: false, slots };
  });
}

/**
 * An air-gapped installation deleted its license file and signed a code saying so: its slot is
 * free at once, with no swap spent, whether it was still active or already deactivated with its
 * slot held, and that file is retired. The code names the file it deleted and the installation's
 * last request; either being the current file's is proof enough (after a renewal uploaded but not
 * imported, the current file answers that last request). A code for an earlier file, or used
 * already, frees nothing.
 */
async function freeByRemovalProof(
  tx: DbOrTx,
  license: LicenseRow,
  row: ActivationRow,
  proof: { licenseFileId: string; nonce: string },
  now: Date,
  ctx: Context,
  by: DeactivatedBy,
): Promise<DeactivateResult> {
  const current =
    row.kind === "air_gapped" &&
    row.licenseFile !== null &&
    (row.licenseFileId === proof.licenseFileId || row.licenseFileNonce === proof.nonce);
  const held = row.deactivatedAt !== null && row.slotFreesAt !== null && row.slotFreesAt > now;
  if (!current) {
    if (row.deactivatedAt && !held) {
      return {
        instanceId: row.instanceId,
        slotFreesAt: row.slotFreesAt ?? row.deactivatedAt,
        swapUsed: false,
        alreadyDeactivated: true,
        slots: await slotsOf(tx, license, now),
      };
    }
    throw new LicenseError(
      "DEACTIVATION_CODE_STALE",
      `This deactivation code is for an earlier license file of installation "${row.instanceId}" than its current one: make a new code on the installation.`,
    );
  }
  await tx
    .update(activations)
    .set({
      deactivatedAt: row.deactivatedAt ?? now,
      deactivatedBy: row.deactivatedBy ?? by,
      slotFreesAt: now,
      ...RETIRED_FILE,
    })
    .where(eq(activations.id, row.id));
  const slots = await slotsOf(tx, license, now);
  await recordAudit(tx, ctx, {
    licenseId: license.id,
    // Already deactivated (by an admin, staff or the heartbeat) and only its slot held: that removal
    // was recorded then; the code frees the held slot.
    action: row.deactivatedAt ? "activation.slot_released" : "activation.removed",
    detail: {
      instanceId: row.instanceId,
      by,
      airGapped: true,
      deactivationCode: true,
      licenseFileId: row.licenseFileId,
      slotFreesAt: now.toISOString(),
    },
  });
  return { instanceId: row.instanceId, slotFreesAt: now, swapUsed: false, alreadyDeactivated: false, slots };
}

/**
 * Staff override: frees a deactivated installation's held slot now. Recorded
 * as a staff swap (it does not spend the customer's allowance) and audited
 * with the reason; see the invariant in slots.ts.
 */
export async function releaseHeldSlot(licenseId: string, instanceId: string, reason: string, ctx: Context) {
  const now = ctx.now ?? new Date();
  return getDb().transaction(async (tx) => {
    const license = await findById(licenseId, tx, true);
    const [row] = await tx
      .select()
      .from(activations)
      .where(and(eq(activations.licenseId, license.id), eq(activations.instanceId, instanceId)));
    if (row && licenseFileMayRun(row, now)) {
      // A released slot counts for 30 days (slots.ts); a license file may run far longer.
      throw new LicenseError(
        "CONFLICT",
        `Installation "${instanceId}" is air-gapped and its license file runs until ${row.licenseFileExpiresAt!.toISOString()}: free its slot with its deactivation code, or raise the license's activations.`,
      );
    }
    const [released] = await tx
      .update(activations)
      .set({ slotFreesAt: now })
      .where(
        and(
          eq(activations.licenseId, license.id),
          eq(activations.instanceId, instanceId),
          sql`${activations.deactivatedAt} is not null and ${activations.slotFreesAt} > ${now.toISOString()}::timestamptz`,
        ),
      )
      .returning({ heldUntil: activations.certificateExpiresAt });
    if (!released) {
      throw new LicenseError("CONFLICT", `Installation "${instanceId}" does not hold a slot to release.`);
    }
    await tx.insert(slotSwaps).values({ licenseId: license.id, instanceId, at: now, override: true });
    await recordAudit(tx, ctx, {
      licenseId: license.id,
      action: "activation.slot_released",
      detail: { instanceId, reason, heldUntil: released.heldUntil?.toISOString() ?? null },
    });
    return slotsOf(tx, license, now);
  });
}
