import { apiCallerActor } from "@/lib/audit/actors";
import { authenticateClient } from "@/lib/clients/authenticate";
import { callerName, tokenOwnerLimit } from "@/lib/clients/scopes";
import { callerRequestId, handler, json, readBody } from "@/lib/http/handler";
import { BULK_REVOKE_MAX_BYTES, bulkRevocationAnswer, bulkRevokeRequestSchema, revokeTokensInBulk } from "@/lib/tokens/revoke-bulk";

export const dynamic = "force-dynamic";

export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:revoke");
  const { tokens, reason } = await readBody(req, bulkRevokeRequestSchema, { maxBytes: BULK_REVOKE_MAX_BYTES });
  const result = await revokeTokensInBulk(
    tokens,
    ["custom"],
    { reason: reason ?? null, revokedBy: callerName(caller), onlyIssuedBy: tokenOwnerLimit(caller) },
    // The audit trail keeps request ids up to 200 characters; a longer header must not fail the revocation.
    { actor: apiCallerActor(caller), requestId: callerRequestId(req.headers) },
  );
  const { status, body } = bulkRevocationAnswer(result);
  return json(body, status);
});
