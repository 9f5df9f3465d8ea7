import type { JobMode } from "@/lib/jobs/mode";
import { config } from "@/lib/config/env";
import { claimJobMode } from "@/lib/jobs/runner/instance";
import { flushTokenUse } from "@/lib/jobs/record-token-use";
import { jobs } from "@/lib/jobs/registry";
import { jobBacklog } from "@/lib/jobs/runner/backlog";
import { JobRunner, type RunnerOptions } from "@/lib/jobs/runner/runner";
import { drainEvents } from "@/lib/jobs/send";
import { log } from "@/lib/log/logger";
import { gaugeOnScrape } from "@/lib/metrics/registry";

/** The runner this module started (one per process: the server starts it once). */
let running: JobRunner | undefined;

export type JobRunnerHandle = { mode: JobMode; stop(): Promise<void> };

/** Delivers everything this process still holds for the background functions. */
async function flushAndDrain(): Promise<void> {
  flushTokenUse();
  await drainEvents();
}

/**
 * Starts background work for this process. Embedded default (no Inngest
 * settings): runs every function in-process — crons on schedule, batches,
 * retries — from the durable queue tables, on any number of instances
 * sharing one database. With Inngest configured nothing runs here: Inngest
 * calls /api/inngest. Refuses to start when another instance on the same
 * database runs jobs the other way.
 */
export async function startJobRunner(options: RunnerOptions = {}): Promise<JobRunnerHandle> {
  const mode = config().jobMode;
  await claimJobMode(mode === "in-process" ? "in-process" : "inngest");
  if (mode !== "in-process") {
    log.info("background jobs run on Inngest", { job_mode: mode });
    return { mode, stop: flushAndDrain };
  }
  if (running) throw new Error("The job runner is already running in this process.");
  const runner = new JobRunner(jobs, options);
  running = runner;
  try {
    await runner.start();
  } catch (err) {
    running = undefined;
    throw err;
  }
  log.info("background jobs run in-process", { functions: jobs.length });
  // Read from the queue table when Prometheus scrapes, not on every change.
  const byFunction = (pick: (b: Awaited<ReturnType<typeof jobBacklog>>[number]) => number) => async () =>
    (await jobBacklog()).map((b) => ({ label: b.functionId, value: pick(b) }));
  gaugeOnScrape(
    "tim_job_queue_depth",
    "Events waiting in the local job queue, by function.",
    byFunction((b) => b.waiting),
    "function",
  );
  gaugeOnScrape(
    "tim_job_queue_lag_seconds",
    "Age of the oldest waiting event in the local job queue, by function.",
    byFunction((b) => b.oldestAgeSeconds),
    "function",
  );
  return {
    mode,
    stop: async () => {
      await flushAndDrain();
      await runner.stop();
      running = undefined;
    },
  };
}
