import { db } from "@/lib/db/client";

/** At most this many states go per statement, so logins are never held up for long. */
export const STATE_CLEANUP_BATCH_SIZE = 1_000;

/**
 * Deletes up to `limit` login states (used or not) that expired before
 * `cutoff`, except those a TARA token's metadata row still names
 * (tara.jwt_metadata.oauth_state_id; a plain column, no foreign key): the
 * state stays as long as the token's row does, and goes in the first run
 * after retention archived the row. Adds the count to the job run in the
 * same statement. Returns how many were deleted.
 */
export async function purgeExpiredOauthStatesBatch(
  runId: string,
  cutoff: Date,
  limit = STATE_CLEANUP_BATCH_SIZE,
): Promise<number> {
  const [row] = await (await db()).$queryRaw<[{ n: number }]>`
    WITH gone AS (
      DELETE FROM tara.oauth_state WHERE state IN (
        SELECT s.state FROM tara.oauth_state s
         WHERE s.expires_at < ${cutoff}
           AND NOT EXISTS (SELECT 1 FROM tara.jwt_metadata m WHERE m.oauth_state_id = s.state)
         LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING 1
    ), progress AS (
      UPDATE tim.job_runs
         SET counts = jsonb_set(counts, '{tara.oauth_state}',
               to_jsonb(COALESCE((counts->>'tara.oauth_state')::bigint, 0) + (SELECT count(*) FROM gone))),
             updated_at = now()
       WHERE id = ${runId}::uuid RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone)::int AS n`;
  return row.n;
}
