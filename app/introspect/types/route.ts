import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { TOKEN_TYPE_VALIDATORS } from "@/lib/tokens/kinds";
import { introspectTypesResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

/** TIM 2.0's answer: a map from each token_type TIM introspects to the validator that checks it. */
export const GET = route({ auth: "public", responses: { 200: introspectTypesResponse } }, async () => json({ ...TOKEN_TYPE_VALIDATORS }));
