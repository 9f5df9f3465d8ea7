import { errorResponse, json, type ApiRequest, type Reply } from "@/lib/http/handler";
import type { CallbackResult } from "@/lib/tara/callback";
import { clearedStateBindingCookie, taraCookie } from "@/lib/tara/cookie";
import { errorPage } from "@/lib/tara/pages";

export function wantsJson(req: ApiRequest): boolean {
  return (req.headers.get("accept") ?? "").includes("application/json");
}

/**
 * The browser gets the cookie and a redirect to the validated app URL (or a
 * clear error page), and its state-binding cookie is cleared either way;
 * flows started with Accept: application/json get JSON.
 */
export function callbackResponse(result: CallbackResult, req: ApiRequest): Reply {
  const reply = answer(result, req);
  if (reply instanceof Response) reply.headers.append("set-cookie", clearedStateBindingCookie(new URL(req.url).pathname));
  return reply;
}

function answer(result: CallbackResult, req: ApiRequest): Reply {
  const mode = result.mode ?? (wantsJson(req) ? "json" : "redirect");
  if (!result.ok) {
    return mode === "json" ? errorResponse(result.error) : errorPage(result.error);
  }
  const { issued, identity } = result;
  const cookie = taraCookie(issued.token, (issued.expiresAt.getTime() - Date.now()) / 1000);
  if (mode === "json") {
    return json(
      {
        status: "authentication_success",
        provider: "tara",
        session_id: issued.sessionId,
        expires_at: issued.expiresAt.toISOString(),
        user_profile: {
          sub: identity.sub,
          given_name: identity.givenName,
          family_name: identity.familyName,
          date_of_birth: identity.dateOfBirth,
          amr: identity.amr,
          acr: identity.acr,
        },
        token: issued.token,
      },
      200,
      { "set-cookie": cookie },
    );
  }
  return new Response(null, {
    status: 303,
    headers: { location: result.redirectUri, "set-cookie": cookie, "cache-control": "no-store" },
  });
}
