import { cron } from "inngest";
import { inngest } from "@/inngest/client";
import { beginArchivePurge, continueArchivePurge, endArchivePurge } from "@/lib/archive/purge";
import { config } from "@/lib/config/env";

/** Archive purge (TIM_ARCHIVE_PURGE_CRON): archived rows past TIM_ARCHIVE_DAYS, exported first to stored files (copied to TIM_ARCHIVE_DIR when set). */
export const archivePurge = inngest.createFunction(
  {
    id: "archive-purge",
    name: "Archive purge",
    triggers: [cron(config().TIM_ARCHIVE_PURGE_CRON)],
    concurrency: { limit: 1 },
    retries: 3,
  },
  async ({ step }) => {
    let state = await step.run("begin", () => beginArchivePurge({ trigger: "cron" }));
    try {
      while (!state.done) {
        const from = state;
        state = await step.run("purge-batches", () => continueArchivePurge(from));
      }
    } catch (err) {
      const failed = state;
      await step.run("record-failure", () => endArchivePurge(failed, err));
      throw err;
    }
    const finished = state;
    await step.run("finish", () => endArchivePurge(finished));
    return { runId: state.runId, counts: state.counts };
  },
);
