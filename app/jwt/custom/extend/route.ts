import { authenticateClient } from "@/lib/clients/authenticate";
import { callerName } from "@/lib/clients/scopes";
import { badRequest } from "@/lib/http/errors";
import { handler, json, readBody } from "@/lib/http/handler";
import { extendRequestSchema, extendToken } from "@/lib/tokens/extend";

export const dynamic = "force-dynamic";

export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:issue");
  const { token, expirationInMinutes } = await readBody(req, extendRequestSchema);
  if (caller.maxLifetimeMinutes !== null && expirationInMinutes > caller.maxLifetimeMinutes) {
    throw badRequest(`expirationInMinutes exceeds this client's maximum of ${caller.maxLifetimeMinutes} minutes.`);
  }
  const extended = await extendToken("custom", {
    token,
    lifetimeMinutes: expirationInMinutes,
    clientId: caller.clientId,
    revokedBy: callerName(caller),
  });
  return json({ status: "extended", name: extended.name, token: extended.token, expiresAt: extended.expiresAt });
});
