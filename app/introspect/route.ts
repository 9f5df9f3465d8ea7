import { authenticateClient } from "@/lib/clients/authenticate";
import { handler, json, readBody } from "@/lib/http/handler";
import { introspectForCaller, introspectRequestSchema } from "@/lib/tokens/introspect";

export const dynamic = "force-dynamic";

/** RFC 7662: form-encoded (or JSON) `token`, optional `token_type_hint`. */
export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:introspect");
  const { token } = await readBody(req, introspectRequestSchema, { allowForm: true });
  return json(await introspectForCaller(token, caller, req));
});
