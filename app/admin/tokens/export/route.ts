import { route } from "@/lib/http/route";
import { exportQuery, tokenExportResponse } from "@/lib/reporting/export";
import { exportResponses } from "@/lib/reporting/responses";

export const dynamic = "force-dynamic";

/** GET /admin/tokens/export?format=csv|jsonl&…filters: the console's download of every matching token. */
export const GET = route({ auth: "admin", responses: exportResponses, query: exportQuery }, async ({ caller, query, requestId }) =>
  tokenExportResponse(query, caller.actor, requestId),
);
