import { config } from "@/lib/config/env";
import type { ApiRequest } from "@/lib/http/handler";

/**
 * TIM's issuer identifier as an OAuth authorization server (RFC 8414 §2):
 * its public origin, NEXTAUTH_URL when set (production: clients compare it
 * with the URL they were configured with), else the origin the request was
 * addressed to. Not TIM_ISSUER, which is the `iss` of TIM's own tokens and
 * need not be a URL.
 */
export function oauthIssuer(req: ApiRequest): string {
  const configured = config().NEXTAUTH_URL;
  return (configured ? new URL(configured) : new URL(req.url)).origin;
}
