import { route } from "@/lib/http/route";
import { exportDownloadResponse } from "@/lib/reporting/export-download";

export const dynamic = "force-dynamic";

/** GET /admin/exports/{runId}: the file of a finished background export, administrators only, audited. */
export const GET = route(
  {
    auth: "admin",
    errors: ["not_found", "export_not_ready", "export_gone", "export_file_lost"],
    responses: { 200: { description: "The finished export file (CSV or JSON lines)", content: { "text/csv": null, "application/x-ndjson": null } } },
  },
  async ({ caller, params, requestId }) => exportDownloadResponse(params.runId, caller.actor, requestId),
);
