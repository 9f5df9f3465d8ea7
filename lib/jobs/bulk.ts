import type { Prisma } from "@/lib/generated/prisma/client";
import { TimError } from "@/lib/http/errors";
import { getJobRun, reportJobProgress, startJobRun, finishJobRun } from "@/lib/jobs/runs";
import { sendEvents } from "@/lib/jobs/send";

/**
 * Large exports and mass revocations for sets too big for one request. The
 * console (issue 4) owns what is exported or revoked; it registers a handler
 * per kind that works through the set in chunks. This module runs the
 * mechanics: the job_runs row, chunking, progress, completion.
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

const SLOT = Symbol.for("tim.jobs.bulk-handlers");
const handlers: Map<BulkJobKind, BulkJobHandler> = ((globalThis as Record<symbol, unknown>)[SLOT] ??= new Map()) as Map<
  BulkJobKind,
  BulkJobHandler
>;

export function registerBulkJobHandler(kind: BulkJobKind, handler: BulkJobHandler | undefined): void {
  if (handler) handlers.set(kind, handler);
  else handlers.delete(kind);
}

function handlerFor(kind: BulkJobKind): BulkJobHandler {
  const handler = handlers.get(kind);
  if (!handler) throw new TimError("job_unavailable", `No ${kind} handler is registered in this process.`);
  return handler;
}

const EVENT_BY_KIND = { export: "tim/export.requested", mass_revocation: "tim/revocation.requested" } as const;

/** Queues a bulk job; returns the job_runs id the console polls for progress. */
export async function requestBulkJob(
  kind: BulkJobKind,
  input: { requestedBy: string; params: Prisma.InputJsonValue },
): Promise<string> {
  handlerFor(kind);
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

/** Adds a chunk's count to its run inside the chunk's own transaction. */
export async function addBulkProgress(tx: Prisma.TransactionClient, runId: string, processed: number): Promise<void> {
  await tx.$executeRaw`
    UPDATE tim.job_runs SET progress_done = progress_done + ${processed}, updated_at = now() WHERE id = ${runId}::uuid`;
}

export type BulkState = { runId: string; cursor: string | null; done: boolean; processed: number };

export async function beginBulkJob(kind: BulkJobKind, runId: string): Promise<BulkState> {
  const run = await getJobRun(runId);
  if (!run || run.job !== kind) throw new TimError("not_found", `No ${kind} run ${runId}.`);
  const total = await handlerFor(kind).count(run.params);
  await reportJobProgress(runId, { status: "running", done: 0, total });
  return { runId, cursor: null, done: false, processed: 0 };
}

/** Runs up to `maxChunks` chunks and records progress after each. */
export async function continueBulkJob(kind: BulkJobKind, state: BulkState, maxChunks = 10): Promise<BulkState> {
  const run = await getJobRun(state.runId);
  if (!run) throw new TimError("not_found", `No ${kind} run ${state.runId}.`);
  const handler = handlerFor(kind);
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

export async function endBulkJob(kind: BulkJobKind, state: BulkState, error?: unknown): Promise<void> {
  if (error !== undefined) {
    await finishJobRun(state.runId, { error, counts: { processed: state.processed } });
    return;
  }
  const run = await getJobRun(state.runId);
  const result = run ? await handlerFor(kind).finish?.(run.params, state.runId) : undefined;
  await finishJobRun(state.runId, { counts: { processed: state.processed }, result });
}
