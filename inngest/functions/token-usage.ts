import { events, inngest } from "@/inngest/client";
import { tokenUsedData } from "@/inngest/events";
import { validEventData } from "@/inngest/valid-events";
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
  async ({ events: batch, step, runId }) => {
    const uses = validEventData(tokenUsedData, batch);
    return step.run("apply-usage", () => applyTokenUsage(uses, `${runId}:apply-usage`));
  },
);
