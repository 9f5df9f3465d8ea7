import { authenticateClient } from "@/lib/clients/authenticate";
import { handler, json } from "@/lib/http/handler";
import { validateFromRequest } from "@/lib/tokens/validate";

export const dynamic = "force-dynamic";

export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:validate");
  const { status, body } = await validateFromRequest(req, caller, "validate");
  return json(status === 200 ? body : { ...body, error: "invalid_token", message: body.reason }, status);
});
