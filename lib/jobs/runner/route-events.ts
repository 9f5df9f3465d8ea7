import type { JobRunner } from "@/lib/jobs/runner/runner";
import { describeFunction } from "@/lib/jobs/runner/functions";
import { enqueueEvents, type QueuedEvent } from "@/lib/jobs/runner/queue";

const SLOT = Symbol.for("tim.jobs.runner");
type Slot = { runner?: JobRunner; byEvent?: Map<string, string[]> };
const slot: Slot = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {}) as Slot;

/** The runner started in this process, if any (it wakes as soon as events are stored). */
export function setActiveRunner(runner: JobRunner | undefined): void {
  slot.runner = runner;
}

export function activeRunner(): JobRunner | undefined {
  return slot.runner;
}

async function functionsByEvent(): Promise<Map<string, string[]>> {
  if (slot.byEvent) return slot.byEvent;
  const { functions } = await import("@/inngest/functions");
  const map = new Map<string, string[]>();
  for (const spec of functions.map(describeFunction)) {
    for (const name of spec.events) map.set(name, [...(map.get(name) ?? []), spec.id]);
  }
  slot.byEvent = map;
  return map;
}

/**
 * Stores each event once for every function it triggers (durable: survives a
 * restart), then wakes this process's runner.
 */
export async function storeForFunctions(events: QueuedEvent[]): Promise<void> {
  const byEvent = await functionsByEvent();
  const rows = events.flatMap((event) => (byEvent.get(event.name) ?? []).map((functionId) => ({ functionId, event })));
  await enqueueEvents(rows);
  slot.runner?.noteEnqueued(rows.map((r) => r.functionId));
}
