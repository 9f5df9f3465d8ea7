import { config } from "@/lib/config/env";
import { Prisma } from "@/lib/generated/prisma/client";
import { deleteBatchCounted } from "@/lib/retention/archive-expired";

export const SSF_PURGE_BATCH_SIZE = 1000;

/**
 * Retention of the outbox (a phase of the nightly retention run, lib/retention/run.ts): an event
 * goes once every stream's cursor has passed it (delivered and acknowledged everywhere; with no
 * stream, nobody is owed it), or after TIM_SSF_EVENT_RETENTION_HOURS whatever was acknowledged.
 */
export async function purgeSsfEventsBatch(runId: string, now = new Date(), limit = SSF_PURGE_BATCH_SIZE): Promise<number> {
  const cutoff = new Date(now.getTime() - config().TIM_SSF_EVENT_RETENTION_HOURS * 3_600_000);
  return deleteBatchCounted(
    runId,
    "tim.ssf_events",
    Prisma.sql`DELETE FROM tim.ssf_events WHERE seq IN (
      SELECT e.seq FROM tim.ssf_events e
       WHERE e.revoked_at < ${cutoff}
          OR NOT EXISTS (SELECT 1 FROM tim.ssf_streams s WHERE (s.cursor_xid, s.cursor_seq) < (e.xid, e.seq))
       LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  );
}
