import type { InngestFunction } from "inngest";
import { types } from "inngest/internals";
import type { ExecutionRow, StepResult } from "@/lib/jobs/runner/queue";

/**
 * Runs one attempt of a function the way an Inngest executor would, using the
 * SDK's own execution engine (as `@inngest/test` does): `step.run` executes in
 * place, results of steps completed in earlier attempts are replayed from
 * `step_state` instead of running again. The SDK version is pinned in
 * package.json because `createExecution` is internal to it.
 */
export type AttemptOutcome =
  | { kind: "completed"; output: unknown }
  | { kind: "failed"; error: unknown; retriable: boolean };

type EngineResult = {
  type: string;
  data?: unknown;
  error?: unknown;
  retriable?: boolean | string;
  step?: { id: string; op: string; data?: unknown; error?: unknown };
  steps?: Array<{ id: string; op: string }>;
};

type Executable = {
  createExecution(opts: { partialOptions: Record<string, unknown> }): { start(): Promise<EngineResult> };
};

export class UnsupportedStepError extends Error {
  constructor(op: string) {
    super(`Step operation ${op} is not supported by the in-process runner; use Inngest for it.`);
    this.name = "UnsupportedStepError";
  }
}

/** Stored step errors keep their name and message; stacks stay out of the database. */
function withoutStack(error: unknown): unknown {
  if (typeof error !== "object" || error === null) return error;
  const { stack: _stack, ...rest } = error as Record<string, unknown>;
  return rest;
}

export async function runAttempt(
  fn: InngestFunction.Any,
  run: ExecutionRow,
  onStep: (step: StepResult) => Promise<void>,
): Promise<AttemptOutcome> {
  const stepState: Record<string, StepResult> = { ...run.step_state };
  const order = [...run.step_order];
  const lastAttempt = run.attempt + 1 >= run.max_attempts;
  const start = (requestedRunStep?: string) =>
    (fn as unknown as Executable)
      .createExecution({
        partialOptions: {
          client: (fn as unknown as { client: unknown }).client,
          runId: run.id,
          stepMode: types.StepMode.Async,
          data: {
            event: run.events[0],
            events: run.events,
            runId: run.id,
            attempt: run.attempt,
            maxAttempts: run.max_attempts,
          },
          stepState,
          stepCompletionOrder: order,
          requestedRunStep,
          reqArgs: [],
          headers: {},
          handlerKind: "main",
          disableImmediateExecution: false,
        },
      })
      .start();

  const record = async (step: StepResult) => {
    stepState[step.id] = step;
    order.push(step.id);
    await onStep(step);
  };

  // A failing step fails this attempt; on the last attempt its error is handed
  // to the function (as Inngest does once a step's retries are exhausted).
  const stepRan = async (result: EngineResult): Promise<AttemptOutcome | undefined> => {
    const step = result.step!;
    if (step.error !== undefined) {
      const retriable = result.retriable !== false;
      if (!lastAttempt && retriable) return { kind: "failed", error: step.error, retriable: true };
      await record({ id: step.id, error: withoutStack(step.error) });
      return undefined;
    }
    await record({ id: step.id, data: step.data });
    return undefined;
  };

  for (;;) {
    const result = await start();
    switch (result.type) {
      case "function-resolved":
        return { kind: "completed", output: result.data };
      case "function-rejected":
        return { kind: "failed", error: result.error, retriable: result.retriable !== false };
      case "step-ran": {
        const outcome = await stepRan(result);
        if (outcome) return outcome;
        break;
      }
      case "steps-found": {
        for (const planned of result.steps ?? []) {
          if (planned.op !== "StepPlanned") throw new UnsupportedStepError(planned.op);
          const ran = await start(planned.id);
          if (ran.type !== "step-ran") throw new UnsupportedStepError(ran.type);
          const outcome = await stepRan(ran);
          if (outcome) return outcome;
        }
        break;
      }
      default:
        throw new UnsupportedStepError(result.type);
    }
  }
}
