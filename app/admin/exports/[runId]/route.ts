import { adminFromRequest } from "@/lib/admin/session";
import { callerRequestId, handler, type RouteContext } from "@/lib/http/handler";
import { exportDownloadResponse } from "@/lib/reporting/export-job";

export const dynamic = "force-dynamic";

/** GET /admin/exports/{runId}: the file of a finished background export, administrators only, audited. */
export const GET = handler(async (req, ctx: RouteContext<{ runId: string }>) => {
  const admin = await adminFromRequest(req);
  const { runId } = await ctx.params;
  return exportDownloadResponse(runId, admin.actor, callerRequestId(req.headers));
});
