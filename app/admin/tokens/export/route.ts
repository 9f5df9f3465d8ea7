import { adminFromRequest } from "@/lib/admin/session";
import { handler } from "@/lib/http/handler";
import { tokenExportResponse } from "@/lib/reporting/export";

export const dynamic = "force-dynamic";

/** GET /admin/tokens/export?format=csv|jsonl&…filters: the console's download of every matching token. */
export const GET = handler(async (req) => tokenExportResponse(req, (await adminFromRequest(req)).actor));
