import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { JWKS_CACHE_CONTROL, publicJwks } from "@/lib/jwt/jwks";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public" }, async () => json(await publicJwks(), 200, { "cache-control": JWKS_CACHE_CONTROL }));
