import { events, inngest } from "@/inngest/client";
import { writeReadAudit } from "@/lib/jobs/read-audit";

/** Read outcomes (TIM_AUDIT_READS=true) written to the audit trail, up to 500 per batch or 2 s. */
export const readAudit = inngest.createFunction(
  {
    id: "read-audit",
    name: "Read-audit events",
    triggers: [events.tokenRead],
    batchEvents: { maxSize: 500, timeout: "2s" },
    retries: 5,
  },
  // the SDK has checked every event against the trigger's zod schema
  async ({ events: batch, step, runId }) => {
    const reads = batch.map((e) => e.data);
    return step.run("write-audit", () => writeReadAudit(reads, `${runId}:write-audit`));
  },
);
