import { handler, json } from "@/lib/http/handler";
import { sessionFromRequest, sessionJson } from "@/lib/tara/session";

export const dynamic = "force-dynamic";

/** Is this TARA session still active? The token's own session, or `session_id` for a sessions:read client. */
export const GET = handler(async (req) => {
  const session = await sessionFromRequest(req, new URL(req.url).searchParams.get("session_id") ?? undefined);
  return json({
    valid: session.status === "active",
    ...sessionJson(session),
    ...(session.revokedReason ? { reason: session.revokedReason } : {}),
  });
});
