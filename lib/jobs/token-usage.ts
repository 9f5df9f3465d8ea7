import { db } from "@/lib/db/client";
import { defineJob } from "@/lib/jobs/define";
import { events, type TokenUse } from "@/lib/jobs/events";

/**
 * Applies a batch of uses in ONE statement: `use_count` grows by the number
 * of uses, `last_used_at` moves to the latest use. `effectKey` (run id +
 * step) is claimed in the same statement, so a retried batch counts once.
 */
export async function applyTokenUsage(
  uses: TokenUse[],
  effectKey: string,
): Promise<{ applied: boolean; custom: number; tara: number }> {
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
  const rows = await (await db()).$queryRaw<Array<{ claimed: number; custom: number; tara: number }>>`
    WITH claim AS (
      INSERT INTO tim.job_effects (key) VALUES (${effectKey}) ON CONFLICT (key) DO NOTHING RETURNING key
    ), u AS (
      SELECT x.* FROM jsonb_to_recordset(${payload}::jsonb) AS x(t text, jwt_uuid uuid, n int, last timestamptz)
       WHERE EXISTS (SELECT 1 FROM claim)
    ), c AS (
      UPDATE custom.jwt_metadata m
         SET use_count = m.use_count + u.n, last_used_at = GREATEST(m.last_used_at, u.last)
        FROM u WHERE u.t = 'custom' AND m.jwt_uuid = u.jwt_uuid RETURNING 1
    ), r AS (
      UPDATE tara.jwt_metadata m
         SET use_count = m.use_count + u.n, last_used_at = GREATEST(m.last_used_at, u.last)
        FROM u WHERE u.t = 'tara' AND m.jwt_uuid = u.jwt_uuid RETURNING 1
    )
    SELECT (SELECT count(*) FROM claim)::int AS claimed, (SELECT count(*) FROM c)::int AS custom,
           (SELECT count(*) FROM r)::int AS tara`;
  const row = rows[0];
  return { applied: row.claimed === 1, custom: row.custom, tara: row.tara };
}

/**
 * Usage counters: each event carries the uses of up to 1,000 tokens collected
 * in process (lib/jobs/record-token-use.ts); up to 20 events per batch or 2 s, one UPDATE per batch.
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
