import { durationToMs, type InngestFunction } from "inngest";

/** What the in-process runner (and GET /api/inngest) needs to know about a function. */
export type JobFunctionSpec = {
  id: string;
  name: string;
  events: string[];
  crons: string[];
  batch: { maxSize: number; timeoutMs: number } | null;
  maxAttempts: number;
  /** Runs at once across every instance (Inngest's `concurrency.limit`); null: no limit. */
  concurrency: number | null;
  fn: InngestFunction.Any;
};

/** Inngest retries a failed run this many times when a function does not say. */
const DEFAULT_RETRIES = 3;

export function describeFunction(fn: InngestFunction.Any): JobFunctionSpec {
  const opts = fn.opts;
  const events: string[] = [];
  const crons: string[] = [];
  for (const t of opts.triggers ?? []) {
    if ("cron" in t && t.cron) crons.push(t.cron);
    else if ("event" in t && t.event) events.push(typeof t.event === "string" ? t.event : t.event.name);
  }
  const batch = opts.batchEvents
    ? { maxSize: opts.batchEvents.maxSize, timeoutMs: durationToMs(opts.batchEvents.timeout) }
    : null;
  return {
    id: fn.id(),
    name: fn.name,
    events,
    crons,
    batch,
    maxAttempts: (opts.retries ?? DEFAULT_RETRIES) + 1,
    concurrency: concurrencyLimit(opts.concurrency),
    fn,
  };
}

/** The function-wide limit of Inngest's forms (a number, `{ limit }`, or a list of them); keyed limits are Inngest's only. */
function concurrencyLimit(c: unknown): number | null {
  const limits = (Array.isArray(c) ? c : [c]).flatMap((x) =>
    typeof x === "number" ? [x] : x && typeof x === "object" && !("key" in x) && "limit" in x ? [Number(x.limit)] : [],
  );
  return limits.length > 0 && Math.min(...limits) > 0 ? Math.min(...limits) : null;
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
