import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { validateFromRequest } from "@/lib/tokens/validate";

export const dynamic = "force-dynamic";

export const POST = route({ auth: "tokens:validate" }, async ({ req, caller, requestId }) => {
  const { status, body } = await validateFromRequest(req, caller, "validate", requestId);
  return json(status === 200 ? body : { ...body, error: "invalid_token", message: body.reason }, status);
});
