import { CLIENT_AUTH_METHODS } from "@/lib/clients/authenticate";
import { SCOPES } from "@/lib/clients/scopes";
import { publishedKeys } from "@/lib/jwt/keys";

/**
 * RFC 8414 authorization server metadata, so standard clients (oauth4webapi,
 * openid-client) configure introspection and revocation from TIM's URL alone.
 * TIM issues tokens over its own API, not through OAuth grants: it declares
 * no response types and no grant types (RFC 8414 §2 would otherwise default
 * the latter to authorization_code and implicit).
 */
export async function authorizationServerMetadata(issuer: string) {
  const algs = [...new Set((await publishedKeys()).map((k) => k.alg).filter((a): a is string => typeof a === "string"))];
  return {
    issuer,
    jwks_uri: `${issuer}/jwt/keys/public`,
    scopes_supported: SCOPES,
    response_types_supported: [],
    grant_types_supported: [],
    introspection_endpoint: `${issuer}/introspect`,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    // RFC 9701 §7: TIM answers `Accept: application/token-introspection+jwt` with a JWT signed by its active key.
    introspection_signing_alg_values_supported: algs,
    revocation_endpoint: `${issuer}/revoke`,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
  };
}
