import { TimError } from "@/lib/http/errors";
import { handler, json } from "@/lib/http/handler";
import { sessionFromRequest, sessionJson } from "@/lib/tara/session";

export const dynamic = "force-dynamic";

/** The profile of an active TARA session: the session of the token presented, or `session_id` for a sessions:read client. */
export const GET = handler(async (req) => {
  const session = await sessionFromRequest(req, new URL(req.url).searchParams.get("session_id") ?? undefined);
  if (session.status !== "active") {
    throw new TimError(401, "invalid_session", `This TARA session is ${session.status}.`, { status: session.status });
  }
  return json({
    ...sessionJson(session),
    sub: session.subject,
    given_name: session.givenName,
    family_name: session.familyName,
    date_of_birth: session.dateOfBirth,
    auth_time: session.authTime?.toISOString() ?? null,
  });
});
