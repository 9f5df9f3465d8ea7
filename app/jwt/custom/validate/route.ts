import { errorJson, json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { validateFromRequest } from "@/lib/tokens/validate";

export const dynamic = "force-dynamic";

export const POST = route({ auth: "tokens:validate" }, async ({ req, caller, requestId }) => {
  const { status, body } = await validateFromRequest(req, caller, "validate", requestId);
  // 401: the token is not valid (a string that is no JWT included, as TIM 2.0 answers); 400: there is no token.
  if (status === 200) return json(body);
  return errorJson(status === 401 ? "invalid_token" : "invalid_request", body.reason ?? "", body);
});
