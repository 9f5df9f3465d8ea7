import { runIsolating } from "@/lib/db/batcher";
import { TimError } from "@/lib/http/errors";
import { config } from "@/lib/config/env";
import { eventSchemas, type TimEvent } from "@/lib/jobs/events";
import { inngest } from "@/lib/jobs/inngest/client";
import { jobsTriggeredBy } from "@/lib/jobs/registry";
import { enqueueEvents, type QueuedEvent } from "@/lib/jobs/runner/queue";
import { errorFields, log } from "@/lib/log/logger";

/**
 * Hands events to the background functions. Concurrent callers are grouped:
 * while one delivery is in flight the next events collect and go together
 * (one INSERT into the durable queue, or one request to Inngest).
 */
type Waiting = { event: QueuedEvent; resolve: () => void; reject: (err: unknown) => void; quiet: boolean };

/** One INSERT / one request to Inngest carries at most this many events. */
const MAX_EVENTS_PER_DELIVERY = 1_000;
/** Events waiting beyond this are dropped by `emit` (fire-and-forget), never by `sendEvents`. */
const MAX_BUFFERED_EMITS = 50_000;

// One buffer per process: Next's bundle (console actions) and the server's modules each load lib/ once.
const SLOT = Symbol.for("tim.jobs.send");
type State = { waiting: Waiting[]; flushing?: Promise<void>; dropped: number };
const state: State = ((globalThis as Record<symbol, unknown>)[SLOT] ??= { waiting: [], dropped: 0 }) as State;

/**
 * Inngest mode sends events to Inngest; the embedded default stores each
 * event once for every job the registry says it triggers (durable: survives
 * a restart), where this process's runner (or the next one to start) picks
 * them up.
 */
async function deliver(events: QueuedEvent[]): Promise<void> {
  if (config().jobMode !== "in-process") {
    await inngest.send(events.map((e) => ({ name: e.name, data: e.data, id: e.id, ts: e.ts })));
    return;
  }
  await enqueueEvents(events.flatMap((event) => jobsTriggeredBy(event.name).map((functionId) => ({ functionId, event }))));
}

async function flush(): Promise<void> {
  while (state.waiting.length > 0) {
    const batch = state.waiting.splice(0, MAX_EVENTS_PER_DELIVERY);
    // An event the database refuses fails its own sender only (runIsolating).
    const settled = await runIsolating(batch, async (part) => {
      await deliver(part.map((w) => w.event));
      return part.map(() => undefined);
    });
    const quiet = batch.filter((w, i) => w.quiet && settled[i].status === "rejected").length;
    // fire-and-forget events are reported once per failed delivery, not once each
    if (quiet > 0) {
      const first = settled.find((s): s is PromiseRejectedResult => s.status === "rejected")!;
      log.warn("job events not delivered", { count: quiet, ...errorFields(first.reason) });
    }
    batch.forEach((w, i) => {
      const s = settled[i];
      if (s.status === "fulfilled") w.resolve();
      else w.reject(s.reason);
    });
  }
}

function accept(event: QueuedEvent, quiet = false): Promise<void> {
  const done = new Promise<void>((resolve, reject) => state.waiting.push({ event, resolve, reject, quiet }));
  state.flushing ??= Promise.resolve()
    .then(flush)
    .finally(() => {
      state.flushing = undefined;
    });
  return done;
}

function validated(event: TimEvent): QueuedEvent {
  const parsed = eventSchemas[event.name].safeParse(event.data);
  if (!parsed.success) throw new TimError("invalid_job_event", `Event ${event.name} has invalid data.`);
  return { name: event.name, data: parsed.data, id: event.id, ts: Date.now() };
}

/**
 * Sends events and resolves once they are accepted: committed to the durable
 * queue (embedded runner) or acknowledged by Inngest. Rejects if not.
 */
export async function sendEvents(events: TimEvent[]): Promise<void> {
  const checked = events.map(validated);
  await Promise.all(checked.map((event) => accept(event)));
}

/**
 * Fire-and-forget: never waits and never throws; a failed delivery is logged.
 * For usage and read-audit events on the validation path.
 */
export function emit(event: TimEvent): void {
  let checked: QueuedEvent;
  try {
    checked = validated(event);
  } catch (err) {
    log.warn("job event rejected", { event: event.name, ...errorFields(err) });
    return;
  }
  if (state.waiting.length >= MAX_BUFFERED_EMITS) {
    if (state.dropped++ % 1_000 === 0) log.warn("job events dropped: delivery is behind", { dropped: state.dropped });
    return;
  }
  accept(checked, true).catch(() => undefined);
}

/** Waits until every event accepted so far has been delivered (tests, shutdown). */
export async function drainEvents(): Promise<void> {
  while (state.flushing) await state.flushing;
}
