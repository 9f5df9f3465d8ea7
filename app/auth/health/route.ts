import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { taraHealth } from "@/lib/tara/providers";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public" }, async () => {
  const health = await taraHealth();
  return json(health, health.status === "healthy" ? 200 : 503);
});
