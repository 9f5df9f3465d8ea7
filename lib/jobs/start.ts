import type { JobMode } from "@/lib/jobs/mode";
import { config } from "@/lib/config/env";
import { claimJobMode } from "@/lib/jobs/runner/instance";
import { flushTokenUse } from "@/lib/jobs/record-token-use";
import { jobs } from "@/lib/jobs/registry";
import { JobRunner, type RunnerOptions } from "@/lib/jobs/runner/runner";
import { drainEvents } from "@/lib/jobs/send";
import { log } from "@/lib/log/logger";

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
  return {
    mode,
    stop: async () => {
      await flushAndDrain();
      await runner.stop();
      running = undefined;
    },
  };
}
