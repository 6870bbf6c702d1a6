/**
 * The air-gapped forms' server side, for the Admin Panel and the back office alike: reads the
 * upload or the pasted code, calls license/offline.ts, and words the outcome. Who may act is the
 * caller's check, done before these run.
 */
import "server-only";
import type { Context } from "@ticketzero/core/license/audit";
import { deactivateWithCode, issueLicenseFile, REQUEST_FILE_MAX_BYTES } from "@ticketzero/core/license/offline";
import type { AirGappedResult } from "@/components/license/air-gapped-panel";
import { formatDate } from "@/components/license/format";

/** Where an account admin or staff downloads an issued license file (app/admin/license/license-file/route.ts). */
export function licenseFileHref(licenseId: string, instanceId: string): string {
  return `/admin/license/license-file?${new URLSearchParams({ license: licenseId, instance: instanceId })}`;
}

export async function licenseFileFromForm(
  formData: FormData,
  licenseId: string,
  ctx: Context,
): Promise<AirGappedResult> {
  const file = formData.get("request");
  if (!(file instanceof File) || file.size === 0) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      message: "Choose the request file the installation wrote (tz-license offline-request).",
    };
  }
  if (file.size > REQUEST_FILE_MAX_BYTES) {
    return {
      ok: false,
      code: "INVALID_REQUEST_FILE",
      message: `That file is larger than ${REQUEST_FILE_MAX_BYTES / 1024} KiB: it is not an activation request file.`,
    };
  }
  const issued = await issueLicenseFile(await file.text(), { licenseId }, ctx);
  const name = issued.instanceName.trim() || issued.instanceId;
  return {
    ok: true,
    code: issued.renewal ? "LICENSE_FILE_RENEWED" : "LICENSE_FILE_ISSUED",
    message: `${issued.renewal ? "A new license file" : "The license file"} for ${name} is valid until ${formatDate(issued.expiresAt)}. Copy it to the installation and run tz-license offline-import ${issued.fileName}.`,
    download: { href: licenseFileHref(licenseId, issued.instanceId), fileName: issued.fileName },
  };
}

export async function deactivationCodeFromForm(
  formData: FormData,
  licenseId: string,
  ctx: Context,
  by: "account" | "staff",
): Promise<AirGappedResult> {
  const code = formData.get("code");
  const result = await deactivateWithCode(typeof code === "string" ? code : "", { licenseId }, ctx, by);
  return {
    ok: true,
    code: result.alreadyDeactivated ? "ALREADY_DEACTIVATED" : "SLOT_FREED",
    message: result.alreadyDeactivated
      ? `Installation ${result.instanceId} was already deactivated and its slot is free. Nothing changed.`
      : `Installation ${result.instanceId} is deactivated and its slot is free: another installation can activate now.`,
  };
}
