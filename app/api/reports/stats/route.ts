import { authenticateClient } from "@/lib/clients/authenticate";
import { handler, json } from "@/lib/http/handler";
import { dashboardStats } from "@/lib/reporting/stats";

export const dynamic = "force-dynamic";

/** GET /api/reports/stats: the dashboard's figures. */
export const GET = handler(async (req) => {
  await authenticateClient(req, "reports:read");
  return json(await dashboardStats());
});
