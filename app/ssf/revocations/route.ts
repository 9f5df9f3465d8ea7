import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { readSnapshot, snapshotQuery, snapshotResponse } from "@/lib/ssf/snapshot";

export const dynamic = "force-dynamic";

/** TIM's revocation snapshot for SSF receivers: every unexpired revocation, in keyset pages (docs/shared-signals.md). */
export const GET = route({ auth: "ssf:receive", query: snapshotQuery, errors: ["snapshot_pending"], responses: { 200: snapshotResponse } }, async ({ query }) =>
  json(await readSnapshot(query)),
);
