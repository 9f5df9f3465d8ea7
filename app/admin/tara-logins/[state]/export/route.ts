import { route } from "@/lib/http/route";
import { protocolLogExportResponse } from "@/lib/tara/protocol-log";

export const dynamic = "force-dynamic";

/** GET /admin/tara-logins/{state}/export: one login's TARA protocol messages as a JSON file (for RIA's support). */
export const GET = route(
  {
    auth: "admin",
    errors: ["not_found"],
    responses: {
      200: { description: "One login's protocol messages (`{state, exported_at, messages}`) as a JSON file", content: { "application/json": null } },
    },
  },
  async ({ caller, params, requestId }) => protocolLogExportResponse(params.state, caller.actor, requestId),
);
