import { callerName, tokenOwnerLimit } from "@/lib/clients/scopes";
import { route } from "@/lib/http/route";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { refusedRfc7009, revocationTarget, revokeByJti } from "@/lib/tokens/revoke";
import { introspectRequestSchema } from "@/lib/tokens/introspect";
import { changeSourceOf } from "@/lib/tokens/origin";

export const dynamic = "force-dynamic";

/**
 * RFC 7009: 200 for every well-formed request, whether or not the token was
 * valid (§2.2), except a token this client may not revoke (§2.1): another
 * client's custom token, or a TARA token (sessions end by their owner or an
 * administrator), refused with 400 unauthorized_client and nothing written.
 */
export const POST = route(
  {
    auth: "tokens:revoke",
    example: { token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl" },
    errors: ["unauthorized_client"],
    responses: { 200: { description: "RFC 7009 §2.2: revoked, or the token was invalid already; no body" } },
    body: { schema: introspectRequestSchema, allowForm: true, clientSecretPost: true },
  },
  async ({ req, caller, requestId, body }) => {
    let target;
    try {
      target = await revocationTarget(body.token, ["custom", "tara"]);
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
    }
    if (target?.kind === "tara") throw refusedRfc7009("A TARA session is ended by its owner (/auth/logout) or an administrator.");
    if (target) {
      const outcome = await revokeByJti("custom", {
        ...target,
        reason: "rfc7009_revocation",
        revokedBy: callerName(caller),
        onlyIssuedBy: tokenOwnerLimit(caller),
        ...changeSourceOf(req, requestId),
      });
      if (outcome === "not_owned") throw refusedRfc7009("This token was issued to another client.");
    }
    return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
  },
);
