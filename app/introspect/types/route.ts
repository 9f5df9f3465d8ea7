import { handler, json } from "@/lib/http/handler";
import { TOKEN_TYPE_DESCRIPTIONS } from "@/lib/tokens/kinds";

export const dynamic = "force-dynamic";

export const GET = handler(async () =>
  json({
    token_types: Object.entries(TOKEN_TYPE_DESCRIPTIONS).map(([token_type, description]) => ({ token_type, description })),
  }),
);
