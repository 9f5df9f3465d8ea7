import type { JobMode } from "@/lib/jobs/mode";
import { config } from "@/lib/config/env";
import { claimJobMode } from "@/lib/jobs/runner/instance";
import type { RunnerOptions } from "@/lib/jobs/runner/runner";
import { activeRunner, setActiveRunner } from "@/lib/jobs/runner/route-events";
import { drainEvents } from "@/lib/jobs/send";
import { flushTokenUse } from "@/lib/jobs/token-usage";
import { log } from "@/lib/log/logger";

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
  if (activeRunner()) throw new Error("The job runner is already running in this process.");
  const [{ JobRunner }, { functions }] = await Promise.all([
    import("@/lib/jobs/runner/runner"),
    import("@/inngest/functions"),
  ]);
  const runner = new JobRunner(functions, options);
  setActiveRunner(runner);
  try {
    await runner.start();
  } catch (err) {
    setActiveRunner(undefined);
    throw err;
  }
  log.info("background jobs run in-process", { functions: functions.length });
  return {
    mode,
    stop: async () => {
      await flushAndDrain();
      await runner.stop();
      setActiveRunner(undefined);
    },
  };
}
