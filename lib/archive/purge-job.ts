import { beginArchivePurge, continueArchivePurge, endArchivePurge } from "@/lib/archive/purge";
import { config } from "@/lib/config/env";
import { defineJob } from "@/lib/jobs/define";
import { runInSlices } from "@/lib/jobs/slices";

/** Archive purge (TIM_ARCHIVE_PURGE_CRON): archived rows past TIM_ARCHIVE_DAYS, exported first to stored files (copied to TIM_ARCHIVE_DIR when set). */
export const archivePurgeJob = defineJob({
  id: "archive-purge",
  name: "Archive purge",
  trigger: {
    // read when a provider starts, not when this module loads
    get cron() {
      return config().TIM_ARCHIVE_PURGE_CRON;
    },
  },
  concurrency: 1,
  retries: 3,
  handler: async ({ step }) => {
    const state = await runInSlices(step, "purge-batches", {
      begin: () => beginArchivePurge({ trigger: "cron" }),
      next: (from) => continueArchivePurge(from),
      end: (at, error) => endArchivePurge(at, error),
    });
    return { runId: state.runId, counts: state.counts };
  },
});
