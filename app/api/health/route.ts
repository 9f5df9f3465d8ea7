import { checkHealth } from "@/lib/health/check";
import { handler, json } from "@/lib/http/handler";

export const dynamic = "force-dynamic";

export const GET = handler(async () => {
  const health = await checkHealth();
  return json(health, health.status === "ok" ? 200 : 503);
});
