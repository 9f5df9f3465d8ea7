import { events, inngest } from "@/inngest/client";
import { tokenReadData } from "@/inngest/events";
import { validEventData } from "@/inngest/valid-events";
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
  async ({ events: batch, step, runId }) => {
    const reads = validEventData(tokenReadData, batch);
    return step.run("write-audit", () => writeReadAudit(reads, `${runId}:write-audit`));
  },
);
