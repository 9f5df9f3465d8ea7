import { authenticateClient } from "@/lib/clients/authenticate";
import { callerName } from "@/lib/clients/scopes";
import { handler, json, readBody } from "@/lib/http/handler";
import { extendRequestSchema, extendToken } from "@/lib/tokens/extend";

export const dynamic = "force-dynamic";

export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:issue");
  const { token, expirationInMinutes } = await readBody(req, extendRequestSchema);
  const extended = await extendToken("custom", {
    token,
    lifetimeMinutes: expirationInMinutes,
    caller,
    clientId: caller.clientId,
    revokedBy: callerName(caller),
  });
  return json({ status: "extended", name: extended.name, token: extended.token, expiresAt: extended.expiresAt });
});
