import { LicenseFileQuery } from "@ticketzero/core/http/account-api";
import { queryValues } from "@ticketzero/core/http/operations";
import { isLicenseError } from "@ticketzero/core/license/errors";
import { currentLicenseFile } from "@ticketzero/core/license/offline";
import { requireLicenseRole } from "@ticketzero/core/license/teams";
import { sessionUser } from "@/lib/auth/session";
import { staffAccess } from "@/lib/auth/staff";

export const dynamic = "force-dynamic";

const refuse = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store" } });

/**
 * `GET /admin/license/license-file?license=&instance=`: the current license file of an
 * air-gapped installation, for the license's owners and admins and for staff. The file is bound
 * to the installation's own key, so it is useless elsewhere; it is still not shown to viewers.
 */
export async function GET(request: Request): Promise<Response> {
  const user = await sessionUser();
  if (!user) return refuse(401, "UNAUTHENTICATED", "Sign in to download the license file.");
  // The operation's own query schema (http/account-api.ts), the one the OpenAPI document publishes.
  const query = LicenseFileQuery.safeParse(queryValues(new URL(request.url).searchParams));
  if (!query.success) return refuse(400, "VALIDATION_FAILED", "The link names no license file.");
  const { license: licenseId, instance: instanceId } = query.data;
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
