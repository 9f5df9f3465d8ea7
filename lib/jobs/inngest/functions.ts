import { cron, eventType, type InngestFunction } from "inngest";
import type { AnyJob } from "@/lib/jobs/define";
import { inngest } from "@/lib/jobs/inngest/client";
import { jobs } from "@/lib/jobs/registry";

/** Inngest's batch timeout form ("2s"); TIM's batch timeouts are whole seconds. */
const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s` as const;

/**
 * The Inngest provider: one function per job of the registry, through the
 * SDK's public createFunction. Inngest checks each event against the job's
 * zod schema, schedules, batches, retries and limits concurrency; the job's
 * handler gets Inngest's own `step.run`.
 */
export function toInngestFunction(job: AnyJob): InngestFunction.Any {
  const triggers = [
    ...(job.trigger.event ? [eventType(job.trigger.event.name, { schema: job.trigger.event.schema })] : []),
    ...(job.trigger.cron ? [cron(job.trigger.cron)] : []),
  ];
  return inngest.createFunction(
    {
      id: job.id,
      name: job.name,
      triggers,
      retries: job.retries as 3,
      ...(job.batch ? { batchEvents: { maxSize: job.batch.maxSize, timeout: seconds(job.batch.timeoutMs) } } : {}),
      ...(job.concurrency ? { concurrency: { limit: job.concurrency } } : {}),
    },
    async ({ event, events, step, runId, attempt }) =>
      job.handler({
        event,
        events: events ?? [event],
        step: { run: (name, fn) => step.run(name, fn) as never },
        runId,
        attempt,
      }),
  ) as unknown as InngestFunction.Any;
}

export const inngestFunctions = jobs.map(toInngestFunction);
