import { handler, json, readBody } from "@/lib/http/handler";
import { listMineRequestSchema, listMyTokens, bearerOf } from "@/lib/tokens/list-mine";

export const dynamic = "force-dynamic";

/** The caller's own tokens (same subject, same issuing client); the caller is whoever holds the Bearer custom token. */
export const POST = handler(async (req) => {
  const bearer = await bearerOf(req);
  const filters = await readBody(req, listMineRequestSchema, { emptyAs: {} });
  return json(await listMyTokens(bearer, filters));
});
