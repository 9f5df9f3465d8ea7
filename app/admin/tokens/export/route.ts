import { route } from "@/lib/http/route";
import { exportQuery, tokenExportResponse } from "@/lib/reporting/export";

export const dynamic = "force-dynamic";

/** GET /admin/tokens/export?format=csv|jsonl&…filters: the console's download of every matching token. */
export const GET = route({ auth: "admin", query: exportQuery }, async ({ caller, query, requestId }) =>
  tokenExportResponse(query, caller.actor, requestId),
);
