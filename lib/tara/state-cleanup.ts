import { Prisma } from "@/lib/generated/prisma/client";
import { deleteBatchCounted } from "@/lib/retention/archive-expired";

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
export async function purgeExpiredOauthStatesBatch(runId: string, cutoff: Date, limit = STATE_CLEANUP_BATCH_SIZE): Promise<number> {
  return deleteBatchCounted(
    runId,
    "tara.oauth_state",
    Prisma.sql`DELETE FROM tara.oauth_state WHERE state IN (
      SELECT s.state FROM tara.oauth_state s
       WHERE s.expires_at < ${cutoff}
         AND NOT EXISTS (SELECT 1 FROM tara.jwt_metadata m WHERE m.oauth_state_id = s.state)
       LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  );
}
