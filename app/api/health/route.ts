import { checkHealth } from "@/lib/health/check";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public" }, async () => {
  const health = await checkHealth();
  return json(health, health.status === "ok" ? 200 : 503);
});
