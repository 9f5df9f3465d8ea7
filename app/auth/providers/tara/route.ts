import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { taraProviderInfo } from "@/lib/tara/providers";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public" }, async () => json(taraProviderInfo()));
