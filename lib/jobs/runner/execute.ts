import type { AnyJob, JobStep } from "@/lib/jobs/define";
import { NonRetriableJobError } from "@/lib/jobs/define";
import type { ExecutionRow, StepResult } from "@/lib/jobs/runner/queue";

/**
 * Runs one attempt of a job with TIM's step API: `step.run` executes in place
 * and its result is stored through `onStep`; steps completed in earlier
 * attempts are replayed from `step_state` instead of running again.
 *
 * A step that fails ends the attempt (the run is retried from that step) —
 * except on the last attempt, where its error is thrown into the handler, as
 * Inngest does once a step's retries are spent, so the handler can record
 * the failure in steps of its own.
 */
export type AttemptOutcome = { kind: "completed"; output: unknown } | { kind: "failed"; error: unknown; retriable: boolean };

/** Thrown out of every step.run after a step failed on a non-final attempt: nothing more runs in this attempt. */
class AttemptInterrupted extends Error {}

/** Stored step errors keep their name, message and code; stacks stay out of the database. */
function storedError(error: unknown): { name: string; message: string; code?: string } {
  const e = error as { name?: unknown; message?: unknown; code?: unknown } | null;
  return {
    name: typeof e?.name === "string" ? e.name : "Error",
    message: typeof e?.message === "string" ? e.message : String(error),
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
  };
}

function revived(stored: unknown): Error {
  const { name, message, code } = storedError(stored);
  return Object.assign(new Error(message), { name }, code ? { code } : {});
}

const retriable = (error: unknown) => !(error instanceof NonRetriableJobError);

/** A step's result as it will be replayed: JSON, so the first attempt sees what a retry would. */
function asJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export async function runAttempt(job: AnyJob, run: ExecutionRow, onStep: (step: StepResult) => Promise<void>): Promise<AttemptOutcome> {
  const lastAttempt = run.attempt + 1 >= run.max_attempts;
  const seen = new Map<string, number>();
  let interrupted: { error: unknown } | undefined;

  const step: JobStep = {
    run: async (name, fn) => {
      if (interrupted) throw new AttemptInterrupted();
      const n = seen.get(name) ?? 0;
      seen.set(name, n + 1);
      const id = n === 0 ? name : `${name}:${n}`;
      const stored = run.step_state[id];
      if (stored) {
        if (stored.error !== undefined) throw revived(stored.error);
        return stored.data as never;
      }
      let data: unknown;
      try {
        data = asJson(await fn());
      } catch (error) {
        if (!lastAttempt && retriable(error)) {
          interrupted = { error };
          throw new AttemptInterrupted();
        }
        await onStep({ id, error: storedError(error) });
        throw error;
      }
      await onStep({ id, data });
      return data as never;
    },
  };

  try {
    const events = run.events.map((e) => (e.name === job.trigger.event?.name ? { ...e, data: parsed(job, e.data) } : e));
    const output = await job.handler({ event: events[0], events, step, runId: run.id, attempt: run.attempt });
    if (interrupted) return { kind: "failed", error: interrupted.error, retriable: true };
    return { kind: "completed", output: asJson(output) };
  } catch (error) {
    if (interrupted) return { kind: "failed", error: interrupted.error, retriable: true };
    return { kind: "failed", error, retriable: retriable(error) };
  }
}

/** Payloads were checked when sent; a row changed in the queue since is refused, not retried. */
function parsed(job: AnyJob, data: unknown): unknown {
  const result = job.trigger.event!.schema.safeParse(data);
  if (!result.success) throw new NonRetriableJobError(`Event ${job.trigger.event!.name} has invalid data.`);
  return result.data;
}
