import { apiCallerActor } from "@/lib/audit/actors";
import { sourceAddress } from "@/lib/http/address";
import { route } from "@/lib/http/route";
import { exportQuery, tokenExportResponse } from "@/lib/reporting/export";
import { exportResponses } from "@/lib/reporting/responses";

export const dynamic = "force-dynamic";

/** GET /api/reports/tokens/export?format=csv|jsonl&…filters: every matching token, streamed. */
export const GET = route({ auth: "reports:read", responses: exportResponses, query: exportQuery }, async ({ req, caller, query, requestId }) =>
  tokenExportResponse(query, apiCallerActor(caller, sourceAddress(req)), requestId),
);
