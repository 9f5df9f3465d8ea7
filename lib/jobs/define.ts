import type { z } from "zod";
import type { EventType } from "@/lib/jobs/events";

/**
 * A background job, declared once beside the domain code it runs (see
 * lib/jobs/registry.ts for the list). Both providers run the same
 * declaration: the local runner (lib/jobs/runner) and Inngest (lib/jobs/inngest.ts).
 */

/** The event a cron tick delivers (the name Inngest gives it, so both providers agree). */
export const CRON_EVENT = "inngest/scheduled.timer";
export type CronEvent = { name: typeof CRON_EVENT; data: { cron: string }; id?: string; ts?: number };

/** What a value looks like after a round trip through JSON, as a step's stored result is replayed. */
export type Jsonified<T> = T extends Date ? string : T extends (infer U)[] ? Jsonified<U>[] : T extends object ? { [K in keyof T]: Jsonified<T[K]> } : T;

/** TIM's step API: the part of Inngest's `step` the jobs use, implemented by both providers. */
export interface JobStep {
  /**
   * Runs `fn` once per run of the job: its result is stored (as JSON) and a
   * later attempt of the same run gets it back without running `fn` again.
   * Names repeated in a loop are told apart by their order.
   */
  run<T>(name: string, fn: () => T | Promise<T>): Promise<Jsonified<Awaited<T>>>;
}

export type TriggerEvent<E extends EventType, C extends string> =
  | (E extends EventType ? { name: E["name"]; data: z.infer<E["schema"]>; id?: string; ts?: number } : never)
  | (C extends string ? CronEvent : never);

export type JobContext<E extends EventType, C extends string> = {
  /** The first (or only) event of the run. */
  event: TriggerEvent<E, C>;
  /** Every event of a batched run (`batch`), else the one event. */
  events: TriggerEvent<E, C>[];
  step: JobStep;
  runId: string;
  attempt: number;
};

export type JobDefinition<E extends EventType = EventType, C extends string = string> = {
  id: string;
  name: string;
  trigger: { event?: E; cron?: C };
  /** Several events in one run: up to `maxSize`, or what waited `timeoutMs` since the first. */
  batch?: { maxSize: number; timeoutMs: number };
  /** Attempts after the first failed one. */
  retries: number;
  /** At most this many runs at once, across every instance. */
  concurrency?: number;
  handler: (ctx: JobContext<E, C>) => Promise<unknown>;
};

/** Any job, as the registry and the providers hold them. */
// biome-ignore lint/suspicious/noExplicitAny: handlers take their own event types, so a list of jobs can only hold them as any
export type AnyJob = JobDefinition<any, any>;

export function defineJob<E extends EventType = never, C extends string = never>(definition: JobDefinition<E, C>): JobDefinition<E, C> {
  return definition;
}

/** An error a retry cannot cure (bad payload, missing row): the run fails at once. */
export class NonRetriableJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NonRetriableError";
  }
}
