import { callerName } from "@/lib/clients/scopes";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { extendRequestSchema, extendToken } from "@/lib/tokens/extend";

export const dynamic = "force-dynamic";

export const POST = route({ auth: "tokens:issue", body: extendRequestSchema }, async ({ caller, body: { token, expirationInMinutes } }) => {
  const extended = await extendToken("custom", {
    token,
    lifetimeMinutes: expirationInMinutes,
    caller,
    clientId: caller.clientId,
    revokedBy: callerName(caller),
  });
  return json({ status: "extended", name: extended.name, token: extended.token, expiresAt: extended.expiresAt });
});
