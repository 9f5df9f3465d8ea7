import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { listMineRequestSchema, listMyTokens } from "@/lib/tokens/list-mine";
import { listMineResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

/** The caller's own tokens (same subject, same issuing client); the caller is whoever holds the Bearer custom token. */
export const POST = route(
  {
    auth: "bearer",
    example: { status: "active", page: 0, size: 20 },
    responses: { 200: listMineResponse },
    body: { schema: listMineRequestSchema, emptyAs: {} },
  },
  async ({ caller, body }) => json(await listMyTokens(caller, body)),
);
