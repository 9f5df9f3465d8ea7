import { json } from "@/lib/http/handler";
import { setCookie } from "@/lib/http/cookies";
import { route } from "@/lib/http/route";
import { createdBody, generateRequestSchema, issueCustomTokens } from "@/lib/tokens/generate";
import { originOf } from "@/lib/tokens/origin";
import { issuedTokenResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

export const POST = route(
  {
    auth: "tokens:issue",
    example: { JWTName: "SESSION", content: { sub: "user-1", role: "reader" }, expirationInMinutes: 60, audience: "my-service" },
    errors: ["audience_not_allowed", "metadata_not_recorded"],
    responses: { 200: issuedTokenResponse },
    body: generateRequestSchema,
  },
  async ({ req, caller, body }) => {
    const [issued] = await issueCustomTokens([body], caller, originOf(req));
    const headers: Record<string, string> = body.setCookie && issued.name ? { "set-cookie": setCookie(issued.name, issued.token) } : {};
    return json(createdBody(issued), 200, headers);
  },
);
