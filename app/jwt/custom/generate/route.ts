import { authenticateClient } from "@/lib/clients/authenticate";
import { config } from "@/lib/config/env";
import { handler, json, readBody } from "@/lib/http/handler";
import { createdBody, generateRequestSchema, issueCustomTokens } from "@/lib/tokens/generate";

export const dynamic = "force-dynamic";

export const POST = handler(async (req) => {
  const caller = await authenticateClient(req, "tokens:issue");
  const request = await readBody(req, generateRequestSchema);
  const [issued] = await issueCustomTokens([request], caller);
  const headers: Record<string, string> = {};
  if (request.setCookie && issued.name) {
    const secure = config().secureCookies ? "; Secure" : "";
    headers["set-cookie"] = `${issued.name}=${issued.token}; HttpOnly${secure}; SameSite=Lax; Path=/`;
  }
  return json(createdBody(issued), 200, headers);
});
