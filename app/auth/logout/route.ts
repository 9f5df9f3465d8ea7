import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { clearedTaraCookie } from "@/lib/tara/cookie";
import { logoutQuerySchema, logoutTara } from "@/lib/tara/logout";
import { logoutResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

const definedOnly = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Ends a TARA session and clears the cookie: the session of the TIM TARA JWT presented (cookie or bearer), or,
 * as TIM 2.0's clients call it, `session_id` and `reason` by an API client with sessions:revoke (see lib/tara/logout.ts):
 * in the query string or, as Spring's request parameters also come, a form or JSON body (the query's win).
 */
export const POST = route(
  {
    auth: "token",
    errors: ["not_your_session", "session_not_found", "invalid_client", "insufficient_scope"],
    responses: { 200: logoutResponse },
    query: logoutQuerySchema,
    body: { schema: logoutQuerySchema, allowForm: true, emptyAs: {} },
  },
  async ({ req, query, body, requestId }) => {
    const result = await logoutTara(req, { ...body, ...definedOnly(query) }, requestId);
    return json(
      {
        status: "logged_out",
        message: "Session logged out successfully",
        success: true,
        session_id: result.sessionId,
        revoked: result.revoked,
      },
      200,
      { "set-cookie": clearedTaraCookie() },
    );
  },
);
