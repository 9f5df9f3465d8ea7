import { apiCallerActor } from "@/lib/audit/actors";
import { sourceAddress } from "@/lib/http/address";
import { callerName, tokenOwnerLimit } from "@/lib/clients/scopes";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { BULK_REVOKE_MAX_BYTES, bulkRevocationAnswer, bulkRevokeRequestSchema, checkBulkSize, revokeTokensInBulk } from "@/lib/tokens/revoke-bulk";
import { bulkRevokeResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

export const POST = route(
  {
    auth: "tokens:revoke",
    example: { tokens: ["eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"], reason: "security_incident" },
    errors: ["request_too_large", "already_revoked", "token_not_owned"],
    responses: {
      200: bulkRevokeResponse,
      207: { description: "Some revoked, some not (the lists say which)", content: { "application/json": bulkRevokeResponse } },
    },
    body: { schema: bulkRevokeRequestSchema, maxBytes: BULK_REVOKE_MAX_BYTES },
  },
  async ({ req, caller, body: { tokens, reason }, requestId }) => {
    checkBulkSize(tokens);
    const result = await revokeTokensInBulk(
      tokens,
      ["custom"],
      { reason: reason ?? null, revokedBy: callerName(caller), onlyIssuedBy: tokenOwnerLimit(caller) },
      { actor: apiCallerActor(caller, sourceAddress(req)), requestId },
    );
    const { status, body } = bulkRevocationAnswer(result, reason);
    return json(body, status);
  },
);
