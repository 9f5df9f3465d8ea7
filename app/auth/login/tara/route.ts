import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { wantsJson } from "@/lib/tara/callback-response";
import { loginQuerySchema, startTaraLogin } from "@/lib/tara/login";
import { pageLocale } from "@/lib/tara/locale";
import { errorPage } from "@/lib/tara/pages";
import { loginStartResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

/**
 * Starts a TARA login: redirect to TARA, or `{authorization_url, provider,
 * state, login_secret}` for Accept: application/json (the secret redeems the
 * result at POST /auth/login/tara/result).
 */
export const GET = route(
  {
    auth: "public",
    errors: ["tara_not_configured", "below_configured_assurance", "invalid_redirect_uri", "tara_unavailable", "tara_timeout"],
    responses: {
      200: {
        description: "Accept: application/json: where to send the person, and the secret that redeems the result",
        content: { "application/json": loginStartResponse },
      },
      302: { description: "A browser: to TARA's authorization endpoint" },
    },
    query: loginQuerySchema,
    errorReply: (err, req) =>
      wantsJson(req) ? undefined : errorPage(err, pageLocale(new URL(req.url).searchParams.get("ui_locales"), req.headers.get("accept-language"))),
  },
  async ({ req, query }) => {
    const asJson = wantsJson(req);
    const login = await startTaraLogin(query, asJson ? "json" : "redirect");
    if (asJson) return json({ authorization_url: login.authorizationUrl, provider: "tara", state: login.state, login_secret: login.loginSecret });
    return new Response(null, { status: 302, headers: { location: login.authorizationUrl, "set-cookie": login.bindingCookie, "cache-control": "no-store" } });
  },
);
