import { TimError } from "@/lib/http/errors";
import { route } from "@/lib/http/route";
import { validateFromRequest, validateRequestSchema } from "@/lib/tokens/validate";
import { booleanText } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

const text = (valid: boolean, status: number) =>
  new Response(String(valid), { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

export const POST = route(
  {
    auth: "tokens:validate",
    readsBody: validateRequestSchema,
    example: { token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl" },
    responses: {
      200: { description: "`true`", content: { "text/plain": booleanText } },
      400: { description: "`false`: no token, or no JWT", content: { "text/plain": booleanText } },
      401: { description: "`false`: the token is not valid", content: { "text/plain": booleanText } },
    },
  },
  async ({ req, caller, requestId }) => {
    try {
      const { status, body } = await validateFromRequest(req, caller, "validate/boolean", requestId);
      return text(body.valid, status);
    } catch (err) {
      // Unreadable requests answer "false" too; database failures stay 503 (fail closed).
      if (err instanceof TimError && err.status < 500) return text(false, err.status);
      throw err;
    }
  },
);
