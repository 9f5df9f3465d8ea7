import { authenticateClient } from "@/lib/clients/authenticate";
import { handler, json, readBody } from "@/lib/http/handler";
import { batchRequestSchema, createdBody, issueCustomTokens } from "@/lib/tokens/generate";

export const dynamic = "force-dynamic";

export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:issue");
  const { tokens } = await readBody(req, batchRequestSchema);
  const issued = await issueCustomTokens(tokens, caller);
  return json({ status: "created", count: issued.length, tokens: issued.map(createdBody) });
});
