import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { dashboardStats } from "@/lib/reporting/stats";
import { statsResponse } from "@/lib/reporting/responses";

export const dynamic = "force-dynamic";

/** GET /api/reports/stats: the dashboard's figures. */
export const GET = route({ auth: "reports:read", responses: { 200: statsResponse } }, async () => json(await dashboardStats()));
