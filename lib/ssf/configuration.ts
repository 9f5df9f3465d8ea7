import { config } from "@/lib/config/env";
import { DELIVERY_METHODS_SUPPORTED } from "@/lib/ssf/stream";

/**
 * SSF 1.0 §7.1 transmitter metadata. `issuer` is TIM_ISSUER, the `iss` of every SET (SSF asks
 * for an https URL there; TIM keeps its tokens' issuer so that one `iss` names TIM everywhere);
 * the endpoints are on `origin`, where this TIM answers (lib/oauth/issuer.ts).
 */
export function ssfConfiguration(origin: string) {
  return {
    spec_version: "1_0",
    issuer: config().TIM_ISSUER,
    jwks_uri: `${origin}/jwt/keys/public`,
    delivery_methods_supported: DELIVERY_METHODS_SUPPORTED,
    configuration_endpoint: `${origin}/ssf/streams`,
    status_endpoint: `${origin}/ssf/streams/status`,
    verification_endpoint: `${origin}/ssf/verify`,
    // API client credentials (HTTP Basic or the API key as bearer) with the scope ssf:receive.
    authorization_schemes: [{ spec_urn: "urn:ietf:rfc:6749" }],
    default_subjects: "ALL",
  };
}
