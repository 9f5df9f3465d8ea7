import { events, inngest } from "@/inngest/client";
import { applyTokenUsage } from "@/lib/jobs/token-usage";

/**
 * Usage counters: each event carries the uses of up to 1,000 tokens collected
 * in process (lib/jobs/token-usage.ts); up to 20 events per batch or 2 s, one UPDATE per batch.
 */
export const tokenUsage = inngest.createFunction(
  {
    id: "token-usage",
    name: "Token usage counters",
    triggers: [events.tokenUsed],
    batchEvents: { maxSize: 20, timeout: "2s" },
    retries: 5,
  },
  // the SDK has checked every event against the trigger's zod schema
  async ({ events: batch, step, runId }) => {
    const uses = batch.flatMap((e) => e.data.uses);
    return step.run("apply-usage", () => applyTokenUsage(uses, `${runId}:apply-usage`));
  },
);
