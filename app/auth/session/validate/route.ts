import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { endedSession, sessionJson } from "@/lib/tara/session";
import { sessionValidResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

/**
 * Is this TARA session still active? The token's own session, or `session_id` for a sessions:read client.
 * As TIM 2.0 answers: 200 `{valid: true, …}` while active, 401 `invalid_session` once revoked or expired.
 */
export const GET = route({ auth: "tara-session", errors: ["invalid_session"], responses: { 200: sessionValidResponse } }, async ({ caller: session }) => {
  if (session.status !== "active") throw endedSession(session);
  return json({ valid: true, ...sessionJson(session) });
});
