import { apiCallerActor } from "@/lib/audit/actors";
import { callerName, tokenOwnerLimit } from "@/lib/clients/scopes";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { revokeSubjectTokens, subjectRevocationAnswer, subjectRevokeRequestSchema } from "@/lib/tokens/revoke-bulk";
import { subjectRevokeResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

/**
 * Log out of every device: revokes every active custom token of a subject that this client may revoke (its own;
 * any client's with tokens:revoke:any), answered with the count; audited.
 */
export const POST = route(
  {
    auth: "tokens:revoke",
    summary: "Revoke every active custom token of a subject (log out everywhere)",
    example: { subject: "user-1", reason: "user_logout_everywhere" },
    errors: ["token_not_owned"],
    responses: { 200: subjectRevokeResponse },
    body: subjectRevokeRequestSchema,
  },
  async ({ caller, body: { subject, reason }, requestId }) => {
    const result = await revokeSubjectTokens(
      "custom",
      subject,
      { reason: reason ?? null, revokedBy: callerName(caller), onlyIssuedBy: tokenOwnerLimit(caller) },
      { actor: apiCallerActor(caller), requestId },
    );
    const { status, body } = subjectRevocationAnswer(result, reason);
    return json(body, status);
  },
);
