import { handler, json } from "@/lib/http/handler";
import { taraHealth } from "@/lib/tara/providers";

export const dynamic = "force-dynamic";

export const GET = handler(async () => {
  const health = await taraHealth();
  return json(health, health.status === "healthy" ? 200 : 503);
});
