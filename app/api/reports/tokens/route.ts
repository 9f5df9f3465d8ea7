import { authenticateClient } from "@/lib/clients/authenticate";
import { handler, json } from "@/lib/http/handler";
import { countTokens } from "@/lib/reporting/count";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { searchTokens } from "@/lib/reporting/search";

export const dynamic = "force-dynamic";

/** GET /api/reports/tokens: the console's token search as JSON (keyset pages, total on every page). */
export const GET = handler(async (req) => {
  await authenticateClient(req, "reports:read");
  const { filters, page } = parseTokenQuery(new URL(req.url).searchParams);
  const [result, total] = await Promise.all([searchTokens(filters, page), countTokens(filters)]);
  return json({ ...result, total });
});
