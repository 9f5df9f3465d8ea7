import { storedFileDownloadResponse } from "@/lib/files/download";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** GET /admin/files/{fileId}: a finished stored file (archive-purge export), administrators only, audited. */
export const GET = route(
  { auth: "admin", errors: ["not_found", "file_not_ready"], responses: { 200: { description: "The stored file, as it was written" } } },
  async ({ caller, params, requestId }) => storedFileDownloadResponse(params.fileId, caller.actor, requestId),
);
