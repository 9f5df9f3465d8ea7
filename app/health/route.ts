import { checkHealth } from "@/lib/health/check";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { springHealthResponse } from "@/lib/health/responses";

export const dynamic = "force-dynamic";

/**
 * TIM 2.0's health path (its deployment guide proxies `/health` to Spring's `/actuator/health`, `{"status":"UP"}`):
 * `status` is `UP` or `DOWN` as Spring answers, with TIM's own health (as at /api/health) beside it.
 */
export const GET = route({ auth: "public", responses: { 200: springHealthResponse, 503: springHealthResponse } }, async () => {
  const health = await checkHealth();
  const up = health.status === "ok";
  return json({ ...health, status: up ? "UP" : "DOWN", tim_status: health.status }, up ? 200 : 503);
});
