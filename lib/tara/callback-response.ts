import { errorResponse, json, type ApiRequest, type Reply } from "@/lib/http/handler";
import type { CallbackResult } from "@/lib/tara/callback";
import { clearedStateBindingCookie, taraCookie } from "@/lib/tara/cookie";
import type { IssuedTaraToken } from "@/lib/tara/issue-token";
import { TimError } from "@/lib/http/errors";
import { pageLocale } from "@/lib/tara/locale";
import { errorPage } from "@/lib/tara/pages";
import type { TaraIdentity } from "@/lib/tara/verify-id-token";

export function wantsJson(req: ApiRequest): boolean {
  return (req.headers.get("accept") ?? "").includes("application/json");
}

/**
 * A browser login gets the cookie and a redirect to the validated app URL (or
 * a clear error page in the login's language; a cancelled one goes back to
 * the app URL, marked), and its state-binding cookie is cleared either way. A
 * JSON login's callback answers JSON (errors as usual) or, for a browser TARA
 * sent back, a redirect to the app; never the token or personal data: those
 * go to the starter at POST /auth/login/tara/result.
 */
export function callbackResponse(result: CallbackResult, req: ApiRequest): Reply {
  const reply = answer(result, req);
  if (reply instanceof Response) reply.headers.append("set-cookie", clearedStateBindingCookie(new URL(req.url).pathname));
  return reply;
}

function answer(result: CallbackResult, req: ApiRequest): Reply {
  const mode = result.mode ?? (wantsJson(req) ? "json" : "redirect");
  if (!result.ok) {
    if (mode === "json") return errorResponse(result.error);
    // Spec §4.2 "Termination of the authentication process": the person chose to go back; they return where they started.
    if (result.redirectUri && result.error instanceof TimError && result.error.code === "user_cancel") {
      return redirect(withCancelNotice(result.redirectUri));
    }
    return errorPage(result.error, pageLocale(result.locale, req.headers.get("accept-language")));
  }
  if (result.mode === "json") {
    if (!wantsJson(req)) return redirect(result.redirectUri);
    return json({
      status: "authentication_complete",
      provider: "tara",
      message: "The login is complete. The party that started it redeems the result with its login secret at POST /auth/login/tara/result.",
    });
  }
  const { issued } = result;
  return redirect(result.redirectUri, taraCookie(issued.token, (issued.expiresAt.getTime() - Date.now()) / 1000));
}

/** The login's return address with `tara_login=cancelled`, so the application can say the login was cancelled. */
export function withCancelNotice(redirectUri: string): string {
  const relative = redirectUri.startsWith("/");
  const url = new URL(redirectUri, "http://relative.invalid");
  url.searchParams.set("tara_login", "cancelled");
  return relative ? `${url.pathname}${url.search}${url.hash}` : url.toString();
}

function redirect(location: string, cookie?: string): Response {
  const headers = new Headers({ location, "cache-control": "no-store" });
  if (cookie) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** A redeemed JSON login (TIM 2.0's success shape): the token, once, to its starter, also as the browser cookie. */
export function authenticationSuccess(identity: TaraIdentity, issued: IssuedTaraToken): Reply {
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
    { "set-cookie": taraCookie(issued.token, (issued.expiresAt.getTime() - Date.now()) / 1000) },
  );
}
