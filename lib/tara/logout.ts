import { z } from "zod";
import { authenticateClient, presentsClientCredentials } from "@/lib/clients/authenticate";
import { callerName } from "@/lib/clients/scopes";
import { storableString } from "@/lib/db/storable";
import type { ApiRequest } from "@/lib/http/handler";
import { TimError } from "@/lib/http/errors";
import { InvalidTokenError, verifyJwt } from "@/lib/jwt/verify";
import { taraTokenFrom } from "@/lib/tara/cookie";
import { endTaraSessions } from "@/lib/tara/end-session";
import { changeSourceOf } from "@/lib/tokens/origin";
import { findTaraSession, sessionIdSchema } from "@/lib/tara/session";
import { kindOf } from "@/lib/tokens/kinds";

/** TIM 2.0's logout parameters: `?session_id=…&reason=…`. */
export const logoutQuerySchema = z.object({
  session_id: sessionIdSchema.optional(),
  reason: storableString.trim().min(1).max(500).optional(),
});
export type LogoutQuery = z.infer<typeof logoutQuerySchema>;

export type LogoutResult = { sessionId: string | null; revoked: number };

/** The revocation reason when none is given. */
const DEFAULT_REASON = "logout";

/**
 * Ends a TARA session. With the session's own TIM TARA JWT (cookie or bearer; its signature must be TIM's, an
 * expired one may still log out): that token's session, and a `session_id` beside it must name that session
 * (403 otherwise). By `session_id` alone, as TIM 2.0's clients call it: an API client with the scope
 * `sessions:revoke` (or anyone with TIM_API_AUTH=off), 404 for a session TIM never issued. A session id alone is no
 * credential (TIM 2.0 ended any session whose id it was told). Without token or session id there is nothing to end.
 * Ending a session already ended revokes nothing and still succeeds, as in TIM 2.0.
 */
export async function logoutTara(req: ApiRequest, query: LogoutQuery, requestId: string): Promise<LogoutResult> {
  const reason = query.reason ?? DEFAULT_REASON;
  const source = changeSourceOf(req, requestId);
  const byClient = presentsClientCredentials(req);
  const token = byClient ? undefined : taraTokenFrom(req);
  if (token) {
    const { payload } = await verifyJwt(token, { ignoreExpiry: true });
    if (kindOf(payload) !== "tara" || typeof payload.sid !== "string" || typeof payload.sub !== "string") {
      throw new InvalidTokenError("Wrong token type");
    }
    if (query.session_id !== undefined && query.session_id.toLowerCase() !== payload.sid.toLowerCase()) {
      throw new TimError("not_your_session", "session_id names another session than the one of this token.");
    }
    const revoked = await endTaraSessions({ subject: payload.sub, sessionId: payload.sid }, { reason, revokedBy: `user:${payload.sub}`, ...source });
    return { sessionId: payload.sid, revoked };
  }
  if (query.session_id === undefined) {
    if (byClient) throw new TimError("invalid_request", "Name the session with session_id.");
    return { sessionId: null, revoked: 0 };
  }
  const caller = await authenticateClient(req, "sessions:revoke");
  const session = await findTaraSession(query.session_id);
  if (!session) throw new TimError("session_not_found", "No TARA session has this id.");
  const revoked = await endTaraSessions({ subject: session.subject, sessionId: session.sessionId }, { reason, revokedBy: callerName(caller), ...source });
  return { sessionId: session.sessionId, revoked };
}
