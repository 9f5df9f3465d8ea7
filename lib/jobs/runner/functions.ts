import type { AnyJob } from "@/lib/jobs/define";

/** What the in-process runner (and GET /api/inngest) needs to know about a job. */
export type JobFunctionSpec = {
  id: string;
  name: string;
  events: string[];
  crons: string[];
  batch: { maxSize: number; timeoutMs: number } | null;
  maxAttempts: number;
  /** Runs at once across every instance; null: no limit. */
  concurrency: number | null;
  job: AnyJob;
};

export function describeFunction(job: AnyJob): JobFunctionSpec {
  return {
    id: job.id,
    name: job.name,
    events: job.trigger.event ? [job.trigger.event.name] : [],
    crons: job.trigger.cron ? [job.trigger.cron] : [],
    batch: job.batch ?? null,
    maxAttempts: job.retries + 1,
    concurrency: job.concurrency ?? null,
    job,
  };
}

/** The public description of a function's triggers, as GET /api/inngest lists them. */
export function functionListing(spec: JobFunctionSpec) {
  return {
    id: spec.id,
    name: spec.name,
    triggers: [...spec.events.map((event) => ({ event })), ...spec.crons.map((cron) => ({ cron }))],
    batch_events: spec.batch ? { max_size: spec.batch.maxSize, timeout_ms: spec.batch.timeoutMs } : null,
    max_attempts: spec.maxAttempts,
  };
}
