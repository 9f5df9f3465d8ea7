import { cron } from "inngest";
import { events, inngest } from "@/inngest/client";
import { config } from "@/lib/config/env";
import { beginRetention, continueRetention, endRetention } from "@/lib/retention/run";

/**
 * Retention (nightly, TIM_RETENTION_CRON; or on request from the console):
 * archive and delete metadata past retention, remove expired denylist rows.
 * Each chunk is a step, so a retry resumes after the last completed chunk.
 */
export const retention = inngest.createFunction(
  {
    id: "retention",
    name: "Retention: archive expired metadata",
    triggers: [cron(config().TIM_RETENTION_CRON), events.retentionRequested],
    concurrency: { limit: 1 },
    retries: 3,
  },
  async ({ event, step }) => {
    const requested = event.name === events.retentionRequested.name;
    const requestedBy = requested ? String((event.data as { requested_by?: string }).requested_by ?? "") : null;
    let state = await step.run("begin", () =>
      beginRetention({ trigger: requested ? "console" : "cron", requestedBy: requestedBy || null }),
    );
    try {
      while (!state.done) {
        const from = state;
        state = await step.run("archive-batches", () => continueRetention(from));
      }
    } catch (err) {
      const failed = state;
      await step.run("record-failure", () => endRetention(failed, err));
      throw err;
    }
    const finished = state;
    await step.run("finish", () => endRetention(finished));
    return { runId: state.runId, counts: state.counts };
  },
);
