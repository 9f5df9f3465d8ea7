import { TimError } from "@/lib/http/errors";
import { route } from "@/lib/http/route";
import { validateFromRequest } from "@/lib/tokens/validate";

export const dynamic = "force-dynamic";

const text = (valid: boolean, status: number) =>
  new Response(String(valid), { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

export const POST = route({ auth: "tokens:validate" }, async ({ req, caller, requestId }) => {
  try {
    const { status, body } = await validateFromRequest(req, caller, "validate/boolean", requestId);
    return text(body.valid, status);
  } catch (err) {
    // Unreadable requests answer "false" too; database failures stay 503 (fail closed).
    if (err instanceof TimError && err.status < 500) return text(false, err.status);
    throw err;
  }
});
