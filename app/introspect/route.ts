import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { introspectForCaller, introspectRequestSchema } from "@/lib/tokens/introspect";

export const dynamic = "force-dynamic";

/** RFC 7662: form-encoded (or JSON) `token`, optional `token_type_hint`. */
export const POST = route(
  { auth: "tokens:introspect", body: { schema: introspectRequestSchema, allowForm: true } },
  async ({ caller, body, requestId }) => json(await introspectForCaller(body.token, caller, requestId)),
);
