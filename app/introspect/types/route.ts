import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { TOKEN_TYPE_DESCRIPTIONS } from "@/lib/tokens/kinds";

export const dynamic = "force-dynamic";

export const GET = route({ auth: "public" }, async () =>
  json({
    token_types: Object.entries(TOKEN_TYPE_DESCRIPTIONS).map(([token_type, description]) => ({ token_type, description })),
  }),
);
