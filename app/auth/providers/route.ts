import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { taraProviderInfo } from "@/lib/tara/providers";
import { providersResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public", responses: { 200: providersResponse } }, async () => {
  const tara = taraProviderInfo();
  const providers = tara.available ? { tara } : {};
  return json({ providers, total: Object.keys(providers).length });
});
