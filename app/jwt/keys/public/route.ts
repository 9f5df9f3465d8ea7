import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { JWKS_CACHE_CONTROL, publicJwks } from "@/lib/jwt/jwks";
import { jwksResponse } from "@/lib/jwt/responses";

export const dynamic = "force-dynamic";

/**
 * The JWKS (RFC 7517 `keys`, what verifiers and jose's createRemoteJWKSet read) and, for TIM 2.0's clients,
 * `jwk`: the same set as a JSON string, as TIM 2.0 answers `{"jwk": "{\"keys\":[…]}"}`.
 */
export const GET = route({ auth: "public", responses: { 200: jwksResponse } }, async () => {
  const jwks = await publicJwks();
  return json({ ...jwks, jwk: JSON.stringify(jwks) }, 200, { "cache-control": JWKS_CACHE_CONTROL });
});
