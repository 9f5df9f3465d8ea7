import { authenticateClient } from "@/lib/clients/authenticate";
import { handler, json, type RouteContext } from "@/lib/http/handler";
import { extensionChain } from "@/lib/tokens/chain";

export const dynamic = "force-dynamic";

export const GET = handler(async (req, ctx: RouteContext<{ originalJwtUuid: string }>) => {
  await authenticateClient(req, "tokens:introspect");
  const { originalJwtUuid } = await ctx.params;
  return json(await extensionChain("custom", originalJwtUuid));
});
