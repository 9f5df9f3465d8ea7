import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { sessionJson } from "@/lib/tara/session";

export const dynamic = "force-dynamic";

/** Is this TARA session still active? The token's own session, or `session_id` for a sessions:read client. */
export const GET = route({ auth: "tara-session" }, async ({ caller: session }) =>
  json({
    valid: session.status === "active",
    ...sessionJson(session),
    ...(session.revokedReason ? { reason: session.revokedReason } : {}),
  }),
);
