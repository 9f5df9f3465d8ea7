import { z } from "zod";

/** GET /.well-known/oauth-authorization-server: RFC 8414 metadata. */
export const authorizationServerMetadataResponse = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.string(),
  scopes_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
  grant_types_supported: z.array(z.string()),
  introspection_endpoint: z.string(),
  introspection_endpoint_auth_methods_supported: z.array(z.string()),
  introspection_signing_alg_values_supported: z.array(z.string()),
  revocation_endpoint: z.string(),
  revocation_endpoint_auth_methods_supported: z.array(z.string()),
});
