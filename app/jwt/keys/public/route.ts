import { handler, json } from "@/lib/http/handler";
import { JWKS_CACHE_CONTROL, publicJwks } from "@/lib/jwt/jwks";

export const dynamic = "force-dynamic";

export const GET = handler(async () => json(await publicJwks(), 200, { "cache-control": JWKS_CACHE_CONTROL }));
