import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { oauthIssuer } from "@/lib/oauth/issuer";
import { introspectionJwt, wantsJwtIntrospection } from "@/lib/oauth/introspection-jwt";
import { introspectForCaller, introspectRequestSchema } from "@/lib/tokens/introspect";
import { introspectionResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

/**
 * RFC 7662: form-encoded (or JSON) `token`, optional `token_type_hint`; client
 * credentials by HTTP Basic, client_secret_post or API key. JSON by default,
 * an RFC 9701 signed JWT for `Accept: application/token-introspection+jwt`.
 */
export const POST = route(
  {
    auth: "tokens:introspect",
    example: { token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl", token_type_hint: "access_token" },
    responses: {
      200: {
        description: "RFC 7662; with Accept: application/token-introspection+jwt, RFC 9701's signed JWT",
        content: { "application/json": introspectionResponse, "application/token-introspection+jwt": null },
      },
    },
    body: { schema: introspectRequestSchema, allowForm: true, clientSecretPost: true },
  },
  async ({ req, caller, body, requestId }) => {
    const answer = await introspectForCaller(body.token, caller, requestId);
    return wantsJwtIntrospection(req) ? introspectionJwt(answer, caller, oauthIssuer(req), body.client_id) : json(answer);
  },
);
