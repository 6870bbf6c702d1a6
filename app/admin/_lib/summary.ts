import "server-only";
import { statusOfLicense } from "@ticketzero/core/license/license-status";
import type { LicenseRow } from "@ticketzero/core/license/licenses";
import type { ActionResult } from "@/components/license/action-result";

/** What a form shows about a license it just issued or activated. */
export async function licenseSummary(license: LicenseRow): Promise<NonNullable<ActionResult>["license"]> {
  const { status } = await statusOfLicense(license);
  return {
    status: status.status,
    planName: status.license?.planName ?? license.plan,
    maxTicketsPerMonth: license.maxTicketsPerMonth,
    maxClients: license.maxClients,
    expiresAt: license.expiresAt.toISOString(),
  };
}
