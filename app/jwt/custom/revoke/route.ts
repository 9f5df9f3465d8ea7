import { callerName, tokenOwnerLimit } from "@/lib/clients/scopes";
import { TimError } from "@/lib/http/errors";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { notTokenOwner, revokeRequestSchema, revokeToken } from "@/lib/tokens/revoke";
import { revokeResponse } from "@/lib/tokens/responses";
import { changeSourceOf } from "@/lib/tokens/origin";

export const dynamic = "force-dynamic";

export const POST = route(
  {
    auth: "tokens:revoke",
    example: { token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl", reason: "user_logout" },
    errors: ["already_revoked", "token_not_owned"],
    responses: { 200: revokeResponse },
    body: revokeRequestSchema,
  },
  async ({ req, caller, requestId, body: { token, reason } }) => {
    try {
      const { outcome, jti } = await revokeToken(token, ["custom"], {
        reason: reason ?? null,
        revokedBy: callerName(caller),
        onlyIssuedBy: tokenOwnerLimit(caller),
        ...changeSourceOf(req, requestId),
      });
      if (outcome === "not_owned") throw notTokenOwner();
      if (outcome === "already_revoked") {
        throw new TimError("already_revoked", "Token was already revoked", { status: "already_revoked", jwt_id: jti });
      }
      return json({ status: "revoked", message: "Token has been successfully revoked", jwt_id: jti });
    } catch (err) {
      // The token is what to revoke, not the credential: an unreadable one is a malformed request.
      if (err instanceof InvalidTokenError) throw new TimError("invalid_request", err.reason, { reason: err.reason });
      throw err;
    }
  },
);
