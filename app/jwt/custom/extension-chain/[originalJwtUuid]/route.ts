import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { extensionChain } from "@/lib/tokens/chain";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "tokens:introspect" }, async ({ params }) =>
  json(await extensionChain("custom", params.originalJwtUuid)),
);
