import { authenticateClient } from "@/lib/clients/authenticate";
import { callerName } from "@/lib/clients/scopes";
import { handler, json, readBody } from "@/lib/http/handler";
import { bulkRevocationStatus, bulkRevokeRequestSchema, revokeTokensInBulk } from "@/lib/tokens/revoke-bulk";

export const dynamic = "force-dynamic";

export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:revoke");
  const { tokens, reason } = await readBody(req, bulkRevokeRequestSchema);
  const result = await revokeTokensInBulk(tokens, ["custom"], { reason: reason ?? null, revokedBy: callerName(caller) });
  return json(result, bulkRevocationStatus(result));
});
