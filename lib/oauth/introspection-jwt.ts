import type { ApiCaller } from "@/lib/clients/scopes";
import type { ApiRequest } from "@/lib/http/handler";
import { signJwt } from "@/lib/jwt/sign";
import type { Introspection } from "@/lib/tokens/introspect";

export const JWT_INTROSPECTION_TYPE = "application/token-introspection+jwt";

/** How long a signed introspection answer is good for: it is a snapshot, to be used at once. */
const ANSWER_TTL_S = 60;

/** Whether the caller asked for an RFC 9701 JWT answer (Accept lists the type with a non-zero q). */
export function wantsJwtIntrospection(req: ApiRequest): boolean {
  const accept = req.headers.get("accept");
  if (!accept?.includes(JWT_INTROSPECTION_TYPE)) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return type === JWT_INTROSPECTION_TYPE && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/**
 * RFC 9701 §5: the introspection answer as a JWT signed with TIM's active key
 * (published at jwks_uri), typ token-introspection+jwt, issued by TIM as
 * authorization server to the calling client (`aud`), the answer itself in
 * `token_introspection`.
 */
export async function introspectionJwt(answer: Introspection, caller: ApiCaller, issuer: string, postedClientId?: string): Promise<Response> {
  const iat = Math.floor(Date.now() / 1000);
  const jwt = await signJwt(
    { iss: issuer, aud: caller.clientId ?? postedClientId ?? "anonymous", iat, exp: iat + ANSWER_TTL_S, token_introspection: answer },
    "token-introspection+jwt",
  );
  return new Response(jwt, { status: 200, headers: { "content-type": JWT_INTROSPECTION_TYPE, "cache-control": "no-store" } });
}
