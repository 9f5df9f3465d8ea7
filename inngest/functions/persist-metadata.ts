import { events, inngest } from "@/inngest/client";
import { insertPendingMetadata } from "@/lib/jobs/metadata";

/** Async metadata persistence (TIM_METADATA_WRITE_MODE=async): idempotent batched inserts. */
export const persistMetadata = inngest.createFunction(
  {
    id: "persist-metadata",
    name: "Async metadata persistence",
    triggers: [events.metadataPersist],
    batchEvents: { maxSize: 500, timeout: "1s" },
    retries: 10,
  },
  // the SDK has checked every event against the trigger's zod schema
  async ({ events: batch, step }) => {
    const rows = batch.map((e) => e.data);
    return step.run("insert-metadata", () => insertPendingMetadata(rows));
  },
);
