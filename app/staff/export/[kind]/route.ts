import { exportCsv, isExportKind } from "@ticketzero/core/license/exports";
import { staffAccess } from "@/lib/auth/staff";

export const dynamic = "force-dynamic";

const refuse = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store" } });

/**
 * `/staff/export/licenses|customers|payments|audit`: a CSV download for staff,
 * streamed from a database cursor. The query string is the list page's
 * (licenses: q, plan, status, unclaimed; customers: q; audit: action).
 */
export async function GET(request: Request, { params }: { params: Promise<{ kind: string }> }): Promise<Response> {
  const access = await staffAccess();
  if (access.kind === "signed_out") return refuse(401, "UNAUTHENTICATED", "Sign in with a staff account to export.");
  if (access.kind === "forbidden") return refuse(403, "FORBIDDEN", "Only TicketZero staff can export.");
  const { kind } = await params;
  if (!isExportKind(kind)) return refuse(404, "NOT_FOUND", "There is no such export.");
  const search = new URL(request.url).searchParams;
  const { filename, stream } = await exportCsv(kind, {
    q: search.get("q"),
    plan: search.get("plan"),
    status: search.get("status"),
    unclaimed: search.get("unclaimed") === "1",
    action: search.get("action"),
  });
  return new Response(stream, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
