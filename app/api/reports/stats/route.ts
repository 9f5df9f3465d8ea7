import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { dashboardStats } from "@/lib/reporting/stats";

export const dynamic = "force-dynamic";

/** GET /api/reports/stats: the dashboard's figures. */
export const GET = route({ auth: "reports:read" }, async () => json(await dashboardStats()));
