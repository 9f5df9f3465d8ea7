import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { taraProviderInfo } from "@/lib/tara/providers";
import { providerResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public", responses: { 200: providerResponse } }, async () => json(taraProviderInfo()));
