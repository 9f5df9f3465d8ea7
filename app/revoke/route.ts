import { authenticateClient } from "@/lib/clients/authenticate";
import { callerName } from "@/lib/clients/scopes";
import { handler, readBody } from "@/lib/http/handler";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { revokeToken } from "@/lib/tokens/revoke";
import { introspectRequestSchema } from "@/lib/tokens/introspect";

export const dynamic = "force-dynamic";

/** RFC 7009: 200 for every well-formed request, whether or not the token was valid. */
export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:revoke");
  const { token } = await readBody(req, introspectRequestSchema, { allowForm: true });
  try {
    await revokeToken(token, ["custom", "tara"], { reason: "rfc7009_revocation", revokedBy: callerName(caller) });
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) throw err;
  }
  return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
});
