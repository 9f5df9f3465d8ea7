import { events, inngest } from "@/inngest/client";
import { bulkJobRequestedData } from "@/inngest/events";
import { beginBulkJob, continueBulkJob, endBulkJob, type BulkJobKind } from "@/lib/jobs/bulk";

/** One function per bulk job kind: chunks as steps, progress on the job_runs row. */
function bulkJobFunction(
  kind: BulkJobKind,
  id: string,
  name: string,
  trigger: typeof events.exportRequested | typeof events.revocationRequested,
) {
  return inngest.createFunction(
    { id, name, triggers: [trigger], concurrency: { limit: 2 }, retries: 3 },
    async ({ event, step }) => {
      const { run_id: runId } = bulkJobRequestedData.parse(event.data);
      let state = await step.run("begin", () => beginBulkJob(kind, runId));
      try {
        while (!state.done) {
          const from = state;
          state = await step.run("chunks", () => continueBulkJob(kind, from));
        }
      } catch (err) {
        const failed = state;
        await step.run("record-failure", () => endBulkJob(kind, failed, err));
        throw err;
      }
      const finished = state;
      await step.run("finish", () => endBulkJob(kind, finished));
      return { runId, processed: state.processed };
    },
  );
}

export const largeExport = bulkJobFunction("export", "large-export", "Large export", events.exportRequested);
export const massRevocation = bulkJobFunction(
  "mass_revocation",
  "mass-revocation",
  "Mass revocation",
  events.revocationRequested,
);
