import type { Prisma } from "@/lib/generated/prisma/client";
import type { BulkJobKind } from "@/lib/jobs/bulk";
import { events } from "@/lib/jobs/events";
import { startJobRun } from "@/lib/jobs/runs";
import { sendEvents } from "@/lib/jobs/send";

const EVENT_BY_KIND = { export: events.exportRequested.name, mass_revocation: events.revocationRequested.name } as const;

/** Queues a bulk job (lib/jobs/bulk.ts); returns the job_runs id the console polls for progress. */
export async function requestBulkJob(kind: BulkJobKind, input: { requestedBy: string; params: Prisma.InputJsonValue }): Promise<string> {
  const runId = await startJobRun({
    job: kind,
    trigger: "console",
    requestedBy: input.requestedBy,
    params: input.params,
    status: "queued",
  });
  await sendEvents([{ name: EVENT_BY_KIND[kind], data: { run_id: runId } }]);
  return runId;
}
