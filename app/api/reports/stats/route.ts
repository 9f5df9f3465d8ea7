import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { dashboardStats, statsQuerySchema } from "@/lib/reporting/stats";
import { statsResponse } from "@/lib/reporting/responses";

export const dynamic = "force-dynamic";

/** GET /api/reports/stats[?days=7|30|90]: the dashboard's figures. */
export const GET = route({ auth: "reports:read", query: statsQuerySchema, responses: { 200: statsResponse } }, async ({ query }) =>
  json(await dashboardStats(undefined, undefined, query.days)),
);
