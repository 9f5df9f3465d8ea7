import { cron } from "inngest";
import { inngest } from "@/inngest/client";
import { refreshStatsRollup } from "@/lib/reporting/stats-rollup";

/**
 * Nightly, after the day closed (01:15 UTC): the dashboard's daily rollup of
 * the last days is recomputed, taking in rows that arrived late.
 */
export const statsRollup = inngest.createFunction(
  {
    id: "stats-rollup",
    name: "Dashboard: daily rollup",
    triggers: [cron("15 1 * * *")],
    concurrency: { limit: 1 },
    retries: 3,
  },
  async ({ step }) => step.run("roll-up", () => refreshStatsRollup()),
);
