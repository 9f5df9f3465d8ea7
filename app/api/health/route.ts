import { checkHealth } from "@/lib/health/check";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { healthResponse } from "@/lib/health/responses";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public", responses: { 200: healthResponse, 503: healthResponse } }, async () => {
  const health = await checkHealth();
  return json(health, health.status === "ok" ? 200 : 503);
});
