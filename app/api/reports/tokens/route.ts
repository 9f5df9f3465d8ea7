import { authenticateClient } from "@/lib/clients/authenticate";
import { handler, json } from "@/lib/http/handler";
import { countTokens } from "@/lib/reporting/count";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { searchTokens } from "@/lib/reporting/search";

export const dynamic = "force-dynamic";

/**
 * GET /api/reports/tokens: the console's token search as JSON, keyset pages.
 * `total` (all matching tokens) comes with the first page; later pages (with
 * a cursor) answer `total: null` unless `total=true`, as counting a broad
 * filter costs more than a page.
 */
export const GET = handler(async (req) => {
  await authenticateClient(req, "reports:read");
  const params = new URL(req.url).searchParams;
  const { filters, page } = parseTokenQuery(params);
  const withTotal = !page.cursor || params.get("total") === "true";
  const [result, total] = await Promise.all([searchTokens(filters, page), withTotal ? countTokens(filters) : null]);
  return json({ ...result, total });
});
