import { adminFromRequest } from "@/lib/admin/session";
import { storedFileDownloadResponse } from "@/lib/files/download";
import { callerRequestId, handler, type RouteContext } from "@/lib/http/handler";

export const dynamic = "force-dynamic";

/** GET /admin/files/{fileId}: a finished stored file (archive-purge export), administrators only, audited. */
export const GET = handler(async (req, ctx: RouteContext<{ fileId: string }>) => {
  const admin = await adminFromRequest(req);
  const { fileId } = await ctx.params;
  return storedFileDownloadResponse(fileId, admin.actor, callerRequestId(req.headers));
});
