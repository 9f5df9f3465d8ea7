import { db } from "@/lib/db/client";
import { claimOwner, deadOwners } from "@/lib/jobs/runner/instance";

/**
 * The in-process runner's durable state: accepted events per function
 * (tim.job_queue) and runs with their completed steps (tim.job_executions).
 */

export type QueuedEvent = { name: string; data: Record<string, unknown>; id?: string; ts: number };
export type StepResult = { id: string; data?: unknown; error?: unknown };

export type ExecutionRow = {
  id: string;
  function_id: string;
  events: QueuedEvent[];
  attempt: number;
  max_attempts: number;
  step_state: Record<string, StepResult>;
  step_order: string[];
};

type Waker = (functionIds: string[]) => void;
// The runners of this process, woken as soon as events are stored. Process-wide (not per module
// instance): Next's bundle (console actions) and the server's modules each load lib/ once.
const WAKERS = Symbol.for("tim.jobs.wakers");
const wakers: Set<Waker> = ((globalThis as Record<symbol, unknown>)[WAKERS] ??= new Set<Waker>()) as Set<Waker>;

/** Calls `wake` with the function ids of events stored from now on; returns the unsubscribe. */
export function onEnqueued(wake: Waker): () => void {
  wakers.add(wake);
  return () => wakers.delete(wake);
}

/** Stores events for the functions they trigger, in one statement; resolves once committed. */
export async function enqueueEvents(rows: Array<{ functionId: string; event: QueuedEvent }>): Promise<void> {
  if (rows.length === 0) return;
  const payload = JSON.stringify(rows.map((r) => ({ function_id: r.functionId, event: r.event })));
  await (await db()).$executeRaw`
    INSERT INTO tim.job_queue (function_id, event)
    SELECT x.function_id, x.event FROM jsonb_to_recordset(${payload}::jsonb) AS x(function_id text, event jsonb)`;
  const ids = rows.map((r) => r.functionId);
  for (const wake of wakers) wake(ids);
}

/** Waiting events per function, with the time the oldest arrived. */
export async function pendingEvents(): Promise<Array<{ functionId: string; count: number; oldest: Date }>> {
  const rows = await (await db()).$queryRaw<Array<{ function_id: string; n: number; oldest: Date }>>`
    SELECT function_id, count(*)::int AS n, min(received_at) AS oldest FROM tim.job_queue GROUP BY function_id`;
  return rows.map((r) => ({ functionId: r.function_id, count: r.n, oldest: r.oldest }));
}

/**
 * Moves up to `maxSize` waiting events of a function into a new run, in one
 * statement, so an event is either waiting or part of exactly one run.
 * Returns how many events the run took (0: nothing was waiting).
 */
export async function claimBatch(functionId: string, maxSize: number, maxAttempts: number): Promise<number> {
  const rows = await (await db()).$queryRaw<Array<{ n: number }>>`
    WITH picked AS (
      SELECT id FROM tim.job_queue WHERE function_id = ${functionId}
       ORDER BY id LIMIT ${maxSize} FOR UPDATE SKIP LOCKED
    ), taken AS (
      DELETE FROM tim.job_queue q USING picked p WHERE q.id = p.id RETURNING q.id, q.event
    ), run AS (
      INSERT INTO tim.job_executions (function_id, events, max_attempts)
      SELECT ${functionId}, jsonb_agg(event ORDER BY id), ${maxAttempts}::int FROM taken HAVING count(*) > 0
      RETURNING id
    )
    SELECT (SELECT count(*) FROM taken)::int AS n`;
  return rows[0]?.n ?? 0;
}

/**
 * Starts the run of one cron tick. Every instance fires every tick; the first
 * to insert (function, scheduled time) wins and the others insert nothing.
 * Returns the run's id, or undefined when another instance already has it.
 */
export async function createTickExecution(functionId: string, event: QueuedEvent, maxAttempts: number, scheduledFor: Date): Promise<string | undefined> {
  const events = JSON.stringify([event]);
  const rows = await (await db()).$queryRaw<Array<{ id: string }>>`
    INSERT INTO tim.job_executions (function_id, events, max_attempts, scheduled_for)
    VALUES (${functionId}, ${events}::jsonb, ${maxAttempts}::int, ${scheduledFor})
    ON CONFLICT (function_id, scheduled_for) DO NOTHING
    RETURNING id::text`;
  return rows[0]?.id;
}

/** Takes the oldest due run of a function and marks it running, owned by this process. */
export async function takeDueExecution(functionId: string): Promise<ExecutionRow | undefined> {
  const me = await claimOwner();
  const rows = await (await db()).$queryRaw<ExecutionRow[]>`
    UPDATE tim.job_executions e
       SET status = 'running', owner_key = ${me.key}::bigint, owner_name = ${me.name}, updated_at = now()
     WHERE e.id = (
       SELECT id FROM tim.job_executions
        WHERE function_id = ${functionId} AND status = 'queued' AND next_attempt_at <= now()
        ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING e.id::text, e.function_id, e.events, e.attempt, e.max_attempts, e.step_state, e.step_order`;
  return rows[0];
}

/** When the next queued run of a function is due, if any. */
export async function nextDueAt(functionId: string): Promise<Date | undefined> {
  const rows = await (await db()).$queryRaw<Array<{ at: Date | null }>>`
    SELECT min(next_attempt_at) AS at FROM tim.job_executions WHERE function_id = ${functionId} AND status = 'queued'`;
  return rows[0]?.at ?? undefined;
}

/** Records a completed step so later attempts reuse its result instead of running it again. */
export async function saveStep(executionId: string, step: StepResult): Promise<void> {
  const patch = JSON.stringify({ [step.id]: step });
  await (await db()).$executeRaw`
    UPDATE tim.job_executions
       SET step_state = step_state || ${patch}::jsonb, step_order = array_append(step_order, ${step.id}), updated_at = now()
     WHERE id = ${executionId}::uuid`;
}

/**
 * Marks a run completed, or deletes it when `keep` is false: completed
 * batches of high-volume functions (usage, read audit, metadata) would
 * otherwise pile up; failed runs are always kept.
 */
export async function completeExecution(executionId: string, output: unknown, keep: boolean): Promise<void> {
  const client = await db();
  if (!keep) {
    await client.$executeRaw`DELETE FROM tim.job_executions WHERE id = ${executionId}::uuid`;
    return;
  }
  const json = JSON.stringify(output ?? null);
  await client.$executeRaw`
    UPDATE tim.job_executions SET status = 'completed', output = ${json}::jsonb, finished_at = now(), updated_at = now()
     WHERE id = ${executionId}::uuid`;
}

export async function retryExecution(executionId: string, error: string, delayMs: number): Promise<void> {
  const delay = `${Math.max(0, Math.round(delayMs))} milliseconds`;
  await (await db()).$executeRaw`
    UPDATE tim.job_executions
       SET status = 'queued', attempt = attempt + 1, last_error = ${error},
           next_attempt_at = now() + ${delay}::interval, updated_at = now()
     WHERE id = ${executionId}::uuid`;
}

export async function failExecution(executionId: string, error: string): Promise<void> {
  await (await db()).$executeRaw`
    UPDATE tim.job_executions SET status = 'failed', last_error = ${error}, finished_at = now(), updated_at = now()
     WHERE id = ${executionId}::uuid`;
}

/**
 * Runs left "running" by a process that is gone (its owner lock is free; on
 * PGlite: any owner but this process) are queued again, for any instance to
 * resume; completed steps are not repeated. Returns how many.
 */
export async function requeueOrphaned(): Promise<number> {
  const client = await db();
  const owners = await client.$queryRaw<Array<{ key: string | null }>>`
    SELECT DISTINCT owner_key::text AS key FROM tim.job_executions WHERE status = 'running'`;
  if (owners.length === 0) return 0;
  const dead = await deadOwners(owners.flatMap((o) => (o.key === null ? [] : [o.key])));
  const ownerless = owners.some((o) => o.key === null);
  if (dead.length === 0 && !ownerless) return 0;
  // the status test is repeated: a run finished between the two statements stays finished
  return client.$executeRaw`
    UPDATE tim.job_executions SET status = 'queued', owner_key = NULL, owner_name = NULL, updated_at = now()
     WHERE status = 'running' AND (owner_key = ANY(${dead}::bigint[]) OR (${ownerless} AND owner_key IS NULL))`;
}

/** Forgets finished runs and applied-effect keys older than `days` (retention housekeeping). */
export async function purgeFinishedJobState(days: number): Promise<{ executions: number; effects: number }> {
  const client = await db();
  const age = `${days} days`;
  const executions = await client.$executeRaw`
    DELETE FROM tim.job_executions WHERE status IN ('completed', 'failed') AND finished_at < now() - ${age}::interval`;
  const effects = await client.$executeRaw`
    DELETE FROM tim.job_effects WHERE applied_at < now() - ${age}::interval`;
  return { executions, effects };
}
