import { writeAuditEntries } from "@/lib/audit/write-entries";
import { db } from "@/lib/db/client";
import { events } from "@/lib/jobs/events";
import { listJobRuns, type JobRunView } from "@/lib/jobs/runs";
import { sendEvents } from "@/lib/jobs/send";

/**
 * "Run now" from the console: the retention job's event, which the job
 * registry routes to the retention job (embedded runner or Inngest); the job
 * records its run in tim.job_runs when it starts (trigger "console"). The
 * request is audited once the event was accepted.
 */
export async function requestRetentionRun(actor: string, options: { requestId?: string | null } = {}): Promise<void> {
  await sendEvents([{ name: events.retentionRequested.name, data: { requested_by: actor } }]);
  await (await db()).$transaction((tx) =>
    writeAuditEntries(tx, [{ actor, actorKind: "administrator", action: "retention.run_requested", requestId: options.requestId ?? null }]),
  );
}

/** The latest retention runs, newest first, with their counts per table. */
export function recentRetentionRuns(limit = 10): Promise<JobRunView[]> {
  return listJobRuns({ job: "retention", limit });
}
