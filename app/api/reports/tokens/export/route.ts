import { apiCallerActor } from "@/lib/audit/actors";
import { authenticateClient } from "@/lib/clients/authenticate";
import { badRequest } from "@/lib/http/errors";
import { handler } from "@/lib/http/handler";
import { EXPORT_FORMATS, startTokenExport, type ExportFormat } from "@/lib/reporting/export";
import { parseTokenQuery } from "@/lib/reporting/filters";

export const dynamic = "force-dynamic";

/** GET /api/reports/tokens/export?format=csv|jsonl&…filters: every matching token, streamed. */
export const GET = handler(async (req) => {
  const caller = await authenticateClient(req, "reports:read");
  const params = new URL(req.url).searchParams;
  const format = params.get("format") ?? "csv";
  if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw badRequest("format must be csv or jsonl.");
  const { filters } = parseTokenQuery(params);
  const exported = await startTokenExport({
    filters,
    format: format as ExportFormat,
    actor: apiCallerActor(caller),
    requestId: req.headers.get("x-request-id"),
  });
  return new Response(exported.stream, {
    headers: {
      "content-type": exported.contentType,
      "content-disposition": `attachment; filename="${exported.filename}"`,
      "cache-control": "no-store",
      "x-tim-expected-rows": String(exported.expectedRows),
    },
  });
});
