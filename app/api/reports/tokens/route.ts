import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { countTokensBounded } from "@/lib/reporting/count";
import { z } from "zod";
import { describedQuery } from "@/lib/http/described-query";
import { pageSchema, parseTokenQuery, tokenFilterSchema } from "@/lib/reporting/filters";
import { searchTokens } from "@/lib/reporting/search";
import { tokenSearchResponse } from "@/lib/reporting/responses";

export const dynamic = "force-dynamic";

const searchQuery = describedQuery(
  (params: URLSearchParams) => ({ ...parseTokenQuery(params), total: params.get("total") === "true" }),
  tokenFilterSchema,
  pageSchema,
  z.object({ total: z.enum(["true", "false"]).optional() }),
);

/**
 * GET /api/reports/tokens: the console's token search as JSON, keyset pages.
 * `total` (all matching tokens) comes with the first page; later pages (with
 * a cursor) answer `total: null` unless `total=true`, as counting a broad
 * filter costs more than a page. Beyond 10,000 matches of a kind `total` is
 * the planner's estimate and `total_estimated` is true.
 */
export const GET = route(
  { auth: "reports:read", responses: { 200: tokenSearchResponse }, query: searchQuery },
  async ({ query: { filters, page, total: wanted } }) => {
    const withTotal = !page.cursor || wanted;
    const [result, total] = await Promise.all([searchTokens(filters, page), withTotal ? countTokensBounded(filters) : null]);
    return json({ ...result, total: total?.value ?? null, total_estimated: total?.estimated ?? null });
  },
);
