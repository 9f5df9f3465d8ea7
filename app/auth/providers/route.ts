import { handler, json } from "@/lib/http/handler";
import { taraProviderInfo } from "@/lib/tara/providers";

export const dynamic = "force-dynamic";

export const GET = handler(async () => {
  const tara = taraProviderInfo();
  const providers = tara.available ? { tara } : {};
  return json({ providers, total: Object.keys(providers).length });
});
