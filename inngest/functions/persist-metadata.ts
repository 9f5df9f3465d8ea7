import { events, inngest } from "@/inngest/client";
import { metadataPersistData } from "@/inngest/events";
import { validEventData } from "@/inngest/valid-events";
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
  async ({ events: batch, step }) => {
    const rows = validEventData(metadataPersistData, batch);
    return step.run("insert-metadata", () => insertPendingMetadata(rows));
  },
);
