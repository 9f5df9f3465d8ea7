import { auditExportQuerySchema, auditTrailExportResponse } from "@/lib/audit/export-trail";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** GET /admin/audit/export?from&to&protocol_log=1|0: the audit trail (and TARA's protocol log) as JSON Lines. */
export const GET = route(
  {
    auth: "admin",
    query: auditExportQuerySchema,
    responses: {
      200: {
        description:
          "JSON Lines: a header (`record: export`), every audit row of the period with `prev_hash` and `hash`, then TARA's protocol log (`record: tara_protocol`)",
        content: { "application/x-ndjson": null },
      },
    },
  },
  async ({ caller, query, requestId }) => auditTrailExportResponse(query, caller.actor, requestId),
);
