import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { defineJob } from "@/lib/jobs/define";
import { events, type TokenUse } from "@/lib/jobs/events";
import { KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";

// Per kind: the uses of its known tokens added to its usage rows (u: the batch; the CTE <kind>_used counts them).
const UPSERTS = Prisma.raw(
  TOKEN_KINDS.map(
    (kind) => `, ${kind}_used AS (
      INSERT INTO ${KINDS[kind].table.usage} AS t (jwt_uuid, use_count, last_used_at)
      SELECT u.jwt_uuid, u.n, u.last FROM u JOIN ${KINDS[kind].table.metadata} m ON m.jwt_uuid = u.jwt_uuid WHERE u.t = '${kind}'
      ON CONFLICT (jwt_uuid) DO UPDATE
         SET use_count = t.use_count + excluded.use_count, last_used_at = GREATEST(t.last_used_at, excluded.last_used_at)
      RETURNING 1
    )`,
  ).join(""),
);
const COUNTS = Prisma.raw(TOKEN_KINDS.map((kind) => `(SELECT count(*) FROM ${kind}_used)::int AS ${kind}`).join(", "));

/**
 * Applies a batch of uses in ONE statement to the kinds' token_usage tables
 * (metadata rows are insert-only): a known token's `use_count` grows by the
 * number of uses, `last_used_at` moves to the latest use. `effectKey` (run id +
 * step) is claimed in the same statement, so a retried batch counts once.
 */
export async function applyTokenUsage(uses: TokenUse[], effectKey: string): Promise<{ applied: boolean; custom: number; tara: number }> {
  const merged = new Map<string, { t: string; jwt_uuid: string; n: number; last: string }>();
  for (const u of uses) {
    const key = `${u.token_type}:${u.jwt_uuid}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { t: u.token_type, jwt_uuid: u.jwt_uuid, n: u.count, last: u.last_used_at });
    else {
      m.n += u.count;
      if (Date.parse(u.last_used_at) > Date.parse(m.last)) m.last = u.last_used_at;
    }
  }
  const payload = JSON.stringify([...merged.values()]);
  const rows = await (await db()).$queryRaw<Array<{ claimed: number } & Record<TokenKind, number>>>`
    WITH claim AS (
      INSERT INTO tim.job_effects (key) VALUES (${effectKey}) ON CONFLICT (key) DO NOTHING RETURNING key
    ), u AS (
      SELECT x.* FROM jsonb_to_recordset(${payload}::jsonb) AS x(t text, jwt_uuid uuid, n int, last timestamptz)
       WHERE EXISTS (SELECT 1 FROM claim)
    )${UPSERTS}
    SELECT (SELECT count(*) FROM claim)::int AS claimed, ${COUNTS}`;
  const row = rows[0];
  return { applied: row.claimed === 1, custom: row.custom, tara: row.tara };
}

/**
 * Usage counters: each event carries the uses of up to 1,000 tokens collected
 * in process (lib/jobs/record-token-use.ts); up to 20 events per batch or 2 s, one statement per batch.
 */
export const tokenUsageJob = defineJob({
  id: "token-usage",
  name: "Token usage counters",
  trigger: { event: events.tokenUsed },
  batch: { maxSize: 20, timeoutMs: 2_000 },
  retries: 5,
  handler: async ({ events: batch, step, runId }) => {
    const uses = batch.flatMap((e) => e.data.uses);
    return step.run("apply-usage", () => applyTokenUsage(uses, `${runId}:apply-usage`));
  },
});
