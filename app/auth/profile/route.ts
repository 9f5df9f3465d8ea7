import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { endedSession, sessionJson } from "@/lib/tara/session";
import { profileResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

/** The profile of an active TARA session: the session of the token presented, or `session_id` for a sessions:read client. */
export const GET = route({ auth: "tara-session", errors: ["invalid_session"], responses: { 200: profileResponse } }, async ({ caller: session }) => {
  if (session.status !== "active") throw endedSession(session);
  return json({
    ...sessionJson(session),
    sub: session.subject,
    given_name: session.givenName,
    family_name: session.familyName,
    date_of_birth: session.dateOfBirth,
    auth_time: session.authTime?.toISOString() ?? null,
  });
});
