import { jobs } from "@/lib/jobs/registry";
import { pendingEvents } from "@/lib/jobs/runner/queue";

/** What waits for one background function in the local runner's queue (every instance's): how many events, the oldest's age. */
export type FunctionBacklog = { functionId: string; waiting: number; oldestAgeSeconds: number };

/** Every function's backlog (zero for the idle ones), read from tim.job_queue. */
export async function jobBacklog(now = Date.now()): Promise<FunctionBacklog[]> {
  const pending = new Map((await pendingEvents()).map((p) => [p.functionId, p]));
  return jobs.map((job) => {
    const p = pending.get(job.id);
    return { functionId: job.id, waiting: p?.count ?? 0, oldestAgeSeconds: p ? Math.max(0, (now - p.oldest.getTime()) / 1000) : 0 };
  });
}
