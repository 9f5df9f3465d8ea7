import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { JWKS_CACHE_CONTROL } from "@/lib/jwt/jwks";
import { oauthIssuer } from "@/lib/oauth/issuer";
import { authorizationServerMetadata } from "@/lib/oauth/server-metadata";
import { authorizationServerMetadataResponse } from "@/lib/oauth/responses";

export const dynamic = "force-dynamic";

/** RFC 8414 authorization server metadata (cached like the JWKS it points at). */
export const GET = route({ auth: "public", responses: { 200: authorizationServerMetadataResponse } }, async ({ req }) =>
  json(await authorizationServerMetadata(oauthIssuer(req)), 200, { "cache-control": JWKS_CACHE_CONTROL }),
);
