import { handler, json, readBody } from "@/lib/http/handler";
import { listMineRequestSchema, listMyTokens, subjectOfBearer } from "@/lib/tokens/list-mine";

export const dynamic = "force-dynamic";

/** The caller's own tokens; the caller is whoever holds the Bearer custom token. */
export const POST = handler(async (req) => {
  const subject = await subjectOfBearer(req);
  const emptyBody = req.body === null || req.headers.get("content-length") === "0";
  const filters = emptyBody ? listMineRequestSchema.parse({}) : await readBody(req, listMineRequestSchema);
  return json(await listMyTokens(subject, filters));
});
