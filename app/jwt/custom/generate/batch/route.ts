import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { batchRequestSchema, createdBody, issueCustomTokens } from "@/lib/tokens/generate";
import { originOf } from "@/lib/tokens/origin";
import { batchResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

export const POST = route(
  {
    auth: "tokens:issue",
    example: {
      tokens: [
        { content: { sub: "user-1" }, expirationInMinutes: 60 },
        { JWTName: "API", content: { sub: "user-2" }, audience: ["a", "b"] },
      ],
    },
    errors: ["audience_not_allowed", "metadata_not_recorded"],
    responses: { 200: batchResponse },
    body: batchRequestSchema,
  },
  async ({ req, caller, body: { tokens } }) => {
    const issued = await issueCustomTokens(tokens, caller, originOf(req));
    return json({ status: "created", count: issued.length, tokens: issued.map(createdBody) });
  },
);
