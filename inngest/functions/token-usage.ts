import { events, inngest } from "@/inngest/client";
import { applyTokenUsage } from "@/lib/jobs/token-usage";

/** Usage counters: every accepted validation/introspection, up to 500 per batch or 2 s, one UPDATE per batch. */
export const tokenUsage = inngest.createFunction(
  {
    id: "token-usage",
    name: "Token usage counters",
    triggers: [events.tokenUsed],
    batchEvents: { maxSize: 500, timeout: "2s" },
    retries: 5,
  },
  // the SDK has checked every event against the trigger's zod schema
  async ({ events: batch, step, runId }) => {
    const uses = batch.map((e) => e.data);
    return step.run("apply-usage", () => applyTokenUsage(uses, `${runId}:apply-usage`));
  },
);
