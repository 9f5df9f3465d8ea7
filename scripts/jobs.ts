/**
 * Runs a maintenance job once, now, in this process:
 *   npm run jobs -- retention       archive and delete metadata past retention
 *   npm run jobs -- archive-purge   delete (and export) archived rows past TIM_ARCHIVE_DAYS
 *   npm run jobs -- audit-fold      append audit events for token-API revocations, extensions, TARA logouts
 *   npm run jobs -- stats-rollup    recompute the dashboard's daily rollup of the last days
 *   npm run jobs -- runs            the latest job runs
 * With the embedded PGlite database, stop the server first (one process per
 * database directory); with PostgreSQL it may run beside the server.
 */
import { runArchivePurge } from "@/lib/archive/purge";
import { foldTokenChanges } from "@/lib/audit/fold-token-changes";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { describeJobError } from "@/lib/jobs/errors";
import { listJobRuns } from "@/lib/jobs/runs";
import { refreshStatsRollup } from "@/lib/reporting/stats-rollup";
import { runRetention } from "@/lib/retention/run";

const USAGE = "usage: npm run jobs -- retention | archive-purge | audit-fold | stats-rollup | runs";

async function main(command: string | undefined): Promise<number> {
  if (command !== "retention" && command !== "archive-purge" && command !== "audit-fold" && command !== "stats-rollup" && command !== "runs") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  await migrate();
  const requestedBy = `cli:${process.env.USER ?? "unknown"}`;
  if (command === "runs") {
    for (const run of await listJobRuns({ limit: 20 })) process.stdout.write(`${JSON.stringify(run)}\n`);
    return 0;
  }
  if (command === "audit-fold" || command === "stats-rollup") {
    const result = command === "audit-fold" ? await foldTokenChanges() : await refreshStatsRollup();
    process.stdout.write(`${JSON.stringify({ job: command, ...result })}\n`);
    return 0;
  }
  const state = command === "retention" ? await runRetention({ trigger: "manual", requestedBy }) : await runArchivePurge({ trigger: "manual", requestedBy });
  process.stdout.write(`${JSON.stringify({ job: command, run_id: state.runId, counts: state.counts })}\n`);
  return 0;
}

main(process.argv[2])
  .then(async (code) => {
    await closeDb();
    process.exit(code);
  })
  .catch(async (err) => {
    process.stderr.write(`jobs: ${describeJobError(err)}\n`);
    await closeDb().catch(() => undefined);
    process.exit(1);
  });
