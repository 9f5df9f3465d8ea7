import type { Prisma } from "@/lib/generated/prisma/client";
import { TimError } from "@/lib/http/errors";
import { getJobRun, reportJobProgress, finishJobRun } from "@/lib/jobs/runs";
import { defineJob } from "@/lib/jobs/define";
import type { bulkJobRequestedData, EventType } from "@/lib/jobs/events";
import { runInSlices } from "@/lib/jobs/slices";

/**
 * Large exports and mass revocations for sets too big for one request. The
 * domain owns what is exported or revoked (a handler that works through the
 * set in chunks, lib/reporting/export-job.ts and lib/admin/revoke-query.ts);
 * this module runs the mechanics: the job_runs row, chunking, progress,
 * completion. Queuing one is lib/jobs/request-bulk-job.ts.
 */
export type BulkJobKind = "export" | "mass_revocation";

/**
 * `recorded`: the handler already added `processed` to the run's progress in
 * the transaction that did the work (addBulkProgress), so a chunk retried
 * after a crash neither loses nor repeats its count; the run row is then the
 * source of the total.
 */
export type BulkChunk = { processed: number; cursor: string | null; done: boolean; recorded?: boolean };

export interface BulkJobHandler {
  /** How many items the job will process (for progress), or null when unknown. */
  count(params: unknown): Promise<number | null>;
  /** Processes the next chunk after `cursor` (null: from the start). */
  chunk(params: unknown, cursor: string | null, runId: string): Promise<BulkChunk>;
  /** Optional result stored on the run when all chunks are done (e.g. the export file). */
  finish?(params: unknown, runId: string): Promise<Prisma.InputJsonValue>;
}

/** A kind with the handler that does its work. */
export type BulkJob = { kind: BulkJobKind; handler: BulkJobHandler };

/** Adds a chunk's count to its run inside the chunk's own transaction. */
export async function addBulkProgress(tx: Prisma.TransactionClient, runId: string, processed: number): Promise<void> {
  await tx.$executeRaw`
    UPDATE tim.job_runs SET progress_done = progress_done + ${processed}, updated_at = now() WHERE id = ${runId}::uuid`;
}

export type BulkState = { runId: string; cursor: string | null; done: boolean; processed: number };

export async function beginBulkJob({ kind, handler }: BulkJob, runId: string): Promise<BulkState> {
  const run = await getJobRun(runId);
  if (!run || run.job !== kind) throw new TimError("not_found", `No ${kind} run ${runId}.`);
  const total = await handler.count(run.params);
  await reportJobProgress(runId, { status: "running", done: 0, total });
  return { runId, cursor: null, done: false, processed: 0 };
}

/** Runs up to `maxChunks` chunks and records progress after each. */
export async function continueBulkJob({ kind, handler }: BulkJob, state: BulkState, maxChunks = 10): Promise<BulkState> {
  const run = await getJobRun(state.runId);
  if (!run) throw new TimError("not_found", `No ${kind} run ${state.runId}.`);
  const s = { ...state };
  for (let i = 0; i < maxChunks && !s.done; i++) {
    const chunk = await handler.chunk(run.params, s.cursor, s.runId);
    s.cursor = chunk.cursor;
    s.done = chunk.done;
    if (chunk.recorded) {
      s.processed = (await getJobRun(s.runId))?.progressDone ?? s.processed + chunk.processed;
    } else {
      s.processed += chunk.processed;
      await reportJobProgress(s.runId, { done: s.processed });
    }
  }
  return s;
}

export async function endBulkJob({ handler }: BulkJob, state: BulkState, error?: unknown): Promise<void> {
  if (error !== undefined) {
    await finishJobRun(state.runId, { error, counts: { processed: state.processed } });
    return;
  }
  const run = await getJobRun(state.runId);
  const result = run ? await handler.finish?.(run.params, state.runId) : undefined;
  await finishJobRun(state.runId, { counts: { processed: state.processed }, result });
}

/** The job of a bulk kind: chunks as steps, progress on the job_runs row. */
export function defineBulkJob<E extends EventType<string, typeof bulkJobRequestedData>>(bulk: BulkJob, job: { id: string; name: string; event: E }) {
  return defineJob({
    id: job.id,
    name: job.name,
    trigger: { event: job.event },
    concurrency: 2,
    retries: 3,
    handler: async ({ event, step }) => {
      const { run_id: runId } = event.data;
      const state = await runInSlices(step, "chunks", {
        begin: () => beginBulkJob(bulk, runId),
        next: (from) => continueBulkJob(bulk, from),
        end: (at, error) => endBulkJob(bulk, at, error),
      });
      return { runId, processed: state.processed };
    },
  });
}
