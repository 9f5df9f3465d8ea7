import { apiCallerActor } from "@/lib/audit/actors";
import { authenticateClient } from "@/lib/clients/authenticate";
import { handler } from "@/lib/http/handler";
import { tokenExportResponse } from "@/lib/reporting/export";

export const dynamic = "force-dynamic";

/** GET /api/reports/tokens/export?format=csv|jsonl&…filters: every matching token, streamed. */
export const GET = handler(async (req) => tokenExportResponse(req, apiCallerActor(await authenticateClient(req, "reports:read"))));
