import type { Jsonified, JobStep } from "@/lib/jobs/define";

/**
 * The shape of TIM's long jobs (retention, archive purge, bulk jobs): a
 * `begin` step, then one step per slice of work until the state says done,
 * then `finish`. A retry resumes after the last completed slice; once the
 * retries are spent the failure is recorded in a step of its own and the run
 * fails. States are plain JSON (ids, counts, cursors), so what a step
 * returns is what it stored.
 */
export async function runInSlices<S extends { done: boolean }>(
  step: JobStep,
  slice: string,
  work: { begin(): Promise<S>; next(state: S): Promise<S>; end(state: S, error?: unknown): Promise<void> },
): Promise<S> {
  let state = (await step.run("begin", () => work.begin())) as S;
  try {
    while (!state.done) {
      const from = state;
      state = (await step.run(slice, () => work.next(from))) as S;
    }
  } catch (err) {
    const failed = state;
    await step.run("record-failure", () => work.end(failed, err));
    throw err;
  }
  const finished = state;
  await step.run("finish", () => work.end(finished));
  return state;
}

/** Runs each step at once, without storing anything: a job's work run to the end in this process (`npm run jobs`). */
export const inPlace: JobStep = {
  run: async (_name, fn) => (await fn()) as Jsonified<never>,
};
