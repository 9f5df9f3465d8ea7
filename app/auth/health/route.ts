import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { taraHealth } from "@/lib/tara/providers";
import { taraHealthResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public", responses: { 200: taraHealthResponse, 503: taraHealthResponse } }, async () => {
  const health = await taraHealth();
  return json(health, health.status === "healthy" ? 200 : 503);
});
