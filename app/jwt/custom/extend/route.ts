import { callerName } from "@/lib/clients/scopes";
import { setCookie } from "@/lib/http/cookies";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { EXTENDED_TOKEN_COOKIE, extendRequestSchema, extendToken } from "@/lib/tokens/extend";
import { originOf } from "@/lib/tokens/origin";
import { issuedTokenResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

export const POST = route(
  {
    auth: "tokens:issue",
    example: { token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl", expirationInMinutes: 30 },
    errors: ["extend_denied", "extend_conflict", "audience_not_allowed", "metadata_not_recorded"],
    responses: { 200: issuedTokenResponse },
    body: extendRequestSchema,
  },
  async ({ req, caller, requestId, body: { token, expirationInMinutes, setCookie: asCookie } }) => {
    const extended = await extendToken("custom", {
      token,
      lifetimeMinutes: expirationInMinutes,
      caller,
      clientId: caller.clientId,
      revokedBy: callerName(caller),
      origin: originOf(req),
      requestId,
      limit: { clientId: caller.clientId, limit: caller.activeTokenLimit ?? null, revokedBy: callerName(caller) },
    });
    const headers: Record<string, string> = asCookie ? { "set-cookie": setCookie(EXTENDED_TOKEN_COOKIE, extended.token) } : {};
    return json({ status: "extended", name: extended.name, token: extended.token, expiresAt: extended.expiresAt }, 200, headers);
  },
);
