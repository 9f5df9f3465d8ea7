import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { extensionChain } from "@/lib/tokens/chain";
import { extensionChainResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

export const GET = route(
  { auth: "tokens:introspect", errors: ["invalid_request", "not_found"], responses: { 200: extensionChainResponse } },
  async ({ params }) => json(await extensionChain("custom", params.originalJwtUuid)),
);
