import type { TokenUsed } from "@/inngest/events";
import { db } from "@/lib/db/client";
import { emit } from "@/lib/jobs/send";

/**
 * Called by validation and introspection after a token was accepted; returns
 * at once (the usage counters are updated later, in batches).
 */
export function recordTokenUse(tokenType: "custom" | "tara", jwtUuid: string, usedAt = new Date()): void {
  emit({ name: "tim/token.used", data: { token_type: tokenType, jwt_uuid: jwtUuid, used_at: usedAt.toISOString() } });
}

/**
 * Applies a batch of usage events in ONE statement: `use_count` grows by the
 * number of uses, `last_used_at` moves to the latest use. `effectKey` (run id
 * + step) is claimed in the same statement, so a retried batch counts once.
 */
export async function applyTokenUsage(
  uses: TokenUsed[],
  effectKey: string,
): Promise<{ applied: boolean; custom: number; tara: number }> {
  const merged = new Map<string, { t: string; jwt_uuid: string; n: number; last: string }>();
  for (const u of uses) {
    const key = `${u.token_type}:${u.jwt_uuid}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { t: u.token_type, jwt_uuid: u.jwt_uuid, n: 1, last: u.used_at });
    else {
      m.n += 1;
      if (Date.parse(u.used_at) > Date.parse(m.last)) m.last = u.used_at;
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
