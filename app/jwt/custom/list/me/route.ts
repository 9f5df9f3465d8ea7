import { handler, json, readBody } from "@/lib/http/handler";
import { listMineRequestSchema, listMyTokens, subjectOfBearer } from "@/lib/tokens/list-mine";

export const dynamic = "force-dynamic";

/** The caller's own tokens; the caller is whoever holds the Bearer custom token. */
export const POST = handler(async (req) => {
  const subject = await subjectOfBearer(req);
  const filters = await readBody(req, listMineRequestSchema, { emptyAs: {} });
  return json(await listMyTokens(subject, filters));
});
