import { errorJson, json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { validateFromRequest, validateRequestSchema } from "@/lib/tokens/validate";
import { validationResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

export const POST = route(
  {
    auth: "tokens:validate",
    readsBody: validateRequestSchema,
    example: { token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl", audience: "my-service" },
    errors: ["invalid_token"],
    responses: { 200: validationResponse },
  },
  async ({ req, caller, requestId }) => {
    const { status, body } = await validateFromRequest(req, caller, "validate", requestId);
    // 401: the token is not valid (a string that is no JWT included, as TIM 2.0 answers); 400: there is no token.
    if (status === 200) return json(body);
    return errorJson(status === 401 ? "invalid_token" : "invalid_request", body.reason ?? "", body);
  },
);
