import { handler } from "@/lib/http/handler";
import { callbackQuerySchema, completeTaraLogin } from "@/lib/tara/callback";
import { callbackResponse } from "@/lib/tara/callback-response";
import { TARA_STATE_COOKIE, readCookie } from "@/lib/tara/cookie";

export const dynamic = "force-dynamic";

/** TARA's redirect back (`?code&state` or `?error&error_description&state`). */
export const GET = handler(async (req) => {
  const parsed = callbackQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  // Oversized or repeated garbage parameters are treated as an unknown state.
  const result = await completeTaraLogin(parsed.success ? parsed.data : {}, readCookie(req, TARA_STATE_COOKIE), req.url);
  return callbackResponse(result, req);
});
