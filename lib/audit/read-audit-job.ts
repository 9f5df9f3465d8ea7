import { writeAuditEntries, type AuditEntry } from "@/lib/audit/write-entries";
import { db } from "@/lib/db/client";
import { defineJob } from "@/lib/jobs/define";
import { events, type TokenRead } from "@/lib/jobs/events";

function toAuditEntry(read: TokenRead): AuditEntry {
  return {
    actor: read.actor ?? "anonymous",
    actorKind: read.actor_kind,
    action: `token.${read.endpoint}`,
    target: { jwt_uuid: read.jwt_uuid, token_type: read.token_type, result: read.result },
    requestId: read.request_id,
    at: new Date(read.at),
  };
}

/**
 * Writes a batch of read outcomes to the audit trail in one transaction,
 * claiming `effectKey` in it so a retried batch is written once.
 */
export async function writeReadAudit(reads: TokenRead[], effectKey: string): Promise<{ written: number }> {
  return (await db()).$transaction(async (tx) => {
    const claimed = await tx.$executeRaw`
      INSERT INTO tim.job_effects (key) VALUES (${effectKey}) ON CONFLICT (key) DO NOTHING`;
    if (claimed === 0) return { written: 0 };
    await writeAuditEntries(tx, reads.map(toAuditEntry));
    return { written: reads.length };
  });
}

/** Read outcomes (TIM_AUDIT_READS=true, sent by lib/jobs/read-audit.ts) written to the trail, up to 500 per batch or 2 s. */
export const readAuditJob = defineJob({
  id: "read-audit",
  name: "Read-audit events",
  trigger: { event: events.tokenRead },
  batch: { maxSize: 500, timeoutMs: 2_000 },
  retries: 5,
  handler: async ({ events: batch, step, runId }) => {
    const reads = batch.map((e) => e.data);
    return step.run("write-audit", () => writeReadAudit(reads, `${runId}:write-audit`));
  },
});
