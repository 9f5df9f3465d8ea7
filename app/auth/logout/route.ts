import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { clearedTaraCookie, taraTokenFrom } from "@/lib/tara/cookie";
import { logoutTara } from "@/lib/tara/logout";

export const dynamic = "force-dynamic";

/** Ends the session of the TIM TARA JWT (cookie or bearer) and clears the cookie. */
export const POST = route({ auth: "token" }, async ({ req }) => {
  const result = await logoutTara(taraTokenFrom(req));
  return json(
    { success: true, message: "Successfully logged out", session_id: result.sessionId, revoked: result.revoked },
    200,
    { "set-cookie": clearedTaraCookie() },
  );
});
