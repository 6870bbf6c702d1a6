import { INSTANCE_ID_PATTERN } from "@ticketzero/core/license/activations";
import { isLicenseError } from "@ticketzero/core/license/errors";
import { currentLicenseFile } from "@ticketzero/core/license/offline";
import { requireLicenseRole } from "@ticketzero/core/license/teams";
import { sessionUser } from "@/lib/auth/session";
import { staffAccess } from "@/lib/auth/staff";

export const dynamic = "force-dynamic";

const refuse = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store" } });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /admin/license/license-file?license=&instance=`: the current license file of an
 * air-gapped installation, for the license's owners and admins and for staff. The file is bound
 * to the installation's own key, so it is useless elsewhere; it is still not shown to viewers.
 */
export async function GET(request: Request): Promise<Response> {
  const user = await sessionUser();
  if (!user) return refuse(401, "UNAUTHENTICATED", "Sign in to download the license file.");
  const search = new URL(request.url).searchParams;
  const licenseId = search.get("license") ?? "";
  const instanceId = search.get("instance") ?? "";
  if (!UUID.test(licenseId) || !INSTANCE_ID_PATTERN.test(instanceId)) {
    return refuse(400, "VALIDATION_FAILED", "The link names no license file.");
  }
  if ((await staffAccess()).kind !== "staff") {
    try {
      await requireLicenseRole(user.id, licenseId, "admin");
    } catch (error) {
      if (isLicenseError(error)) return refuse(error.status === 404 ? 404 : 403, error.code, error.message);
      throw error;
    }
  }
  const file = await currentLicenseFile(licenseId, instanceId);
  if (!file) return refuse(404, "NOT_FOUND", "That installation has no current license file.");
  return new Response(file.fileText, {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${file.fileName}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
