/**
 * From the core's installation rows and license to what the installations
 * table shows: one mapping for the Admin Panel and the back office.
 */
import { describeWindow, heartbeatWindowOf } from "@ticketzero/core/license/heartbeats";
import type { installationsOf } from "@ticketzero/core/license/licenses";
import type { Installation } from "./installations-table";

type InstallationRow = Awaited<ReturnType<typeof installationsOf>>[number];

/** `licenseFileHref`: where an air-gapped installation's license file downloads (for those who may). */
export function installationRows(
  rows: InstallationRow[],
  licenseFileHref?: (instanceId: string) => string,
): Installation[] {
  return rows.map((i) => ({
    instanceId: i.instanceId,
    instanceName: i.instanceName,
    activatedAt: i.activatedAt.toISOString(),
    lastSeenAt: i.lastSeenAt.toISOString(),
    heldUntil: i.deactivatedAt ? (i.slotFreesAt?.toISOString() ?? null) : null,
    certificateExpiresAt: i.certificateExpiresAt?.toISOString() ?? null,
    airGapped:
      i.kind === "air_gapped"
        ? {
            fileExpiresAt: i.licenseFileExpiresAt?.toISOString() ?? null,
            downloadHref: !i.deactivatedAt && licenseFileHref ? licenseFileHref(i.instanceId) : null,
          }
        : null,
  }));
}

/** "7 days", or null when the license's installations are never deactivated for silence. */
export function heartbeatWords(license: { heartbeatWindowSeconds: number | null }): string | null {
  const window = heartbeatWindowOf(license);
  return window ? describeWindow(window) : null;
}
