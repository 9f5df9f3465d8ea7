import { apiCallerActor } from "@/lib/audit/actors";
import { callerName } from "@/lib/clients/scopes";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { revokeSubjectTokens, subjectRevocationAnswer, subjectRevokeRequestSchema } from "@/lib/tokens/revoke-bulk";
import { subjectRevokeResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

/** Log out of every device: ends every live TARA session (TIM TARA JWT) of a person, by personal code; audited. */
export const POST = route(
  {
    auth: "sessions:revoke:subject",
    summary: "End every TARA session of a person (log out everywhere)",
    example: { subject: "EE38001085718", reason: "reported_lost_device" },
    responses: { 200: subjectRevokeResponse },
    body: subjectRevokeRequestSchema,
  },
  async ({ caller, body: { subject, reason }, requestId }) => {
    const result = await revokeSubjectTokens(
      "tara",
      subject,
      { reason: reason ?? "logout_everywhere", revokedBy: callerName(caller) },
      { actor: apiCallerActor(caller), requestId },
    );
    const { status, body } = subjectRevocationAnswer(result, reason);
    return json(body, status);
  },
);
