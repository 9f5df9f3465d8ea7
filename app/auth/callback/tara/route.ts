import { route } from "@/lib/http/route";
import { callbackQuerySchema, completeTaraLogin } from "@/lib/tara/callback";
import { callbackResponse } from "@/lib/tara/callback-response";
import { TARA_STATE_COOKIE } from "@/lib/tara/cookie";
import { readCookie } from "@/lib/http/cookies";
import { callbackJsonResponse } from "@/lib/tara/responses";
import { originOf } from "@/lib/tokens/origin";

export const dynamic = "force-dynamic";

/** TARA's redirect back (`?code&state` or `?error&error_description&state`); the state binds it to the browser. */
export const GET = route(
  // Oversized or repeated garbage parameters are treated as an unknown state.
  {
    auth: "public",
    errors: [
      "invalid_state",
      "state_not_bound",
      "user_cancel",
      "tara_invalid_grant",
      "tara_error",
      "tara_token_error",
      "tara_invalid_client",
      "tara_unauthorized_client",
      "invalid_id_token",
      "insufficient_assurance",
      "method_not_allowed",
      "tara_unavailable",
      "tara_timeout",
      "tara_not_configured",
    ],
    responses: {
      200: { description: "Accept: application/json: the login's result", content: { "application/json": callbackJsonResponse } },
      302: { description: "A browser: back to the login's redirect_uri (with the TIM_TARA_JWT cookie), or an HTML error page" },
    },
    query: callbackQuerySchema.catch({}),
  },
  async ({ req, query }) => callbackResponse(await completeTaraLogin(query, readCookie(req, TARA_STATE_COOKIE), req.url, originOf(req)), req),
);
