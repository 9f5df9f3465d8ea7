import { Cron } from "croner";
import { CRON_EVENT, type AnyJob } from "@/lib/jobs/define";
import { describeJobError } from "@/lib/jobs/errors";
import { describeFunction, type JobFunctionSpec } from "@/lib/jobs/runner/functions";
import { runAttempt } from "@/lib/jobs/runner/execute";
import { acquireSlot, releaseSlot, withinExecution } from "@/lib/jobs/runner/instance";
import { failOrphanedJobRuns } from "@/lib/jobs/runs";
import * as queue from "@/lib/jobs/runner/queue";
import { errorFields, log } from "@/lib/log/logger";

export type RunnerOptions = {
  /** First retry delay; doubles per attempt up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often the queue tables are re-read in case something was missed. */
  pollMs?: number;
  /** How often runs of dead processes are looked for (taken over within about this time). */
  livenessMs?: number;
  /** Start cron schedules (tests that only exercise events turn them off). */
  crons?: boolean;
  /** How long stop() waits for runs in progress. */
  stopGraceMs?: number;
};

const MAX_TIMER_MS = 2_147_000_000;
/** A function at its concurrency limit (other instances hold every slot) looks again this soon. */
const SLOT_RETRY_MS = 1_000;

/** Croner reads Inngest's "TZ=Europe/Tallinn 0 3 * * *" form as timezone + pattern. */
function parseCron(expression: string): Cron {
  const m = /^(?:TZ|CRON_TZ)=(\S+)\s+(.+)$/.exec(expression.trim());
  return new Cron(m ? m[2] : expression, { timezone: m ? m[1] : "UTC", paused: true });
}

/**
 * Runs one function's work serially: batches waiting events into runs
 * (batch size reached or timeout since the first waiting event), then
 * executes due runs one at a time with retries and backoff.
 */
class FunctionWorker {
  private pendingCount = 0;
  private pendingSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    readonly spec: JobFunctionSpec,
    private readonly options: Required<RunnerOptions>,
  ) {}

  notePending(count: number, oldest: Date = new Date()): void {
    if (count <= 0) return;
    this.pendingCount += count;
    this.pendingSince = Math.min(this.pendingSince ?? Infinity, oldest.getTime());
    this.wake();
  }

  resetPending(count: number, oldest?: Date): void {
    this.pendingCount = count;
    this.pendingSince = count > 0 ? (oldest ?? new Date()).getTime() : undefined;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = this.work()
      .catch((err) => log.error("job worker failed", { function_id: this.spec.id, ...errorFields(err) }))
      .finally(() => {
        this.loop = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops taking work; waits up to `graceMs` for the run in progress (it resumes on the next start otherwise). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((resolve) => (timeout = setTimeout(resolve, graceMs)))]);
    clearTimeout(timeout);
  }

  private batchDue(now: number): boolean {
    if (this.pendingCount <= 0 || this.pendingSince === undefined) return false;
    const batch = this.spec.batch;
    if (!batch) return true;
    return this.pendingCount >= batch.maxSize || now - this.pendingSince >= batch.timeoutMs;
  }

  private async work(): Promise<void> {
    do {
      this.again = false;
      while (!this.stopped && this.batchDue(Date.now())) {
        const taken = await queue.claimBatch(this.spec.id, this.spec.batch?.maxSize ?? 1, this.spec.maxAttempts);
        if (taken === 0) this.resetPending(0);
        else {
          this.pendingCount = Math.max(0, this.pendingCount - taken);
          // what is left started waiting no earlier than now for the next batch's timeout
          this.pendingSince = this.pendingCount > 0 ? Date.now() : undefined;
        }
      }
      for (;;) {
        if (this.stopped) return;
        const slot = await this.acquireSlot();
        if (!slot) {
          this.retryAfter(SLOT_RETRY_MS);
          return;
        }
        try {
          const run = await queue.takeDueExecution(this.spec.id);
          if (!run) break;
          await this.execute(run);
        } finally {
          await releaseSlot(slot);
        }
      }
    } while (this.again && !this.stopped);
    await this.scheduleNext();
  }

  /** A slot of the function's concurrency limit, shared by every instance ("none" when unlimited). */
  private async acquireSlot(): Promise<string | undefined> {
    return this.spec.concurrency === null ? "none" : acquireSlot(`fn:${this.spec.id}`, this.spec.concurrency);
  }

  private retryAfter(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), ms);
    this.timer.unref();
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    const times: number[] = [];
    if (this.pendingSince !== undefined && this.spec.batch) times.push(this.pendingSince + this.spec.batch.timeoutMs);
    const due = await queue.nextDueAt(this.spec.id);
    if (due) times.push(due.getTime());
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (times.length === 0) return;
    const delay = Math.min(Math.max(0, Math.min(...times) - Date.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async execute(run: queue.ExecutionRow): Promise<void> {
    let outcome: Awaited<ReturnType<typeof runAttempt>>;
    try {
      outcome = await withinExecution(() => runAttempt(this.spec.job, run, (step) => queue.saveStep(run.id, step)));
    } catch (err) {
      outcome = { kind: "failed", error: err, retriable: false };
    }
    if (outcome.kind === "completed") {
      await queue.completeExecution(run.id, outcome.output, this.spec.batch === null);
      return;
    }
    const error = describeJobError(outcome.error);
    const attemptsLeft = run.attempt + 1 < run.max_attempts;
    if (outcome.retriable && attemptsLeft) {
      const delay = Math.min(this.options.retryBaseMs * 2 ** run.attempt, this.options.retryMaxMs);
      const jittered = delay * (0.8 + Math.random() * 0.4);
      log.warn("job attempt failed; retrying", { function_id: this.spec.id, run_id: run.id, attempt: run.attempt, error });
      await queue.retryExecution(run.id, error, jittered);
    } else {
      log.error("job failed", { function_id: this.spec.id, run_id: run.id, attempt: run.attempt, error });
      await queue.failExecution(run.id, error);
    }
  }
}

/**
 * The embedded job runner: the jobs of lib/jobs/registry.ts, run inside this
 * process with their state in PostgreSQL/PGlite, on any number of instances
 * sharing the database: a cron tick runs once (the first instance to record
 * it), concurrency limits hold across instances (advisory-lock slots), and a
 * run whose process died is resumed by another instance within `livenessMs`
 * (the owner's session lock is free; see instance.ts).
 */
export class JobRunner {
  private readonly workers = new Map<string, FunctionWorker>();
  private readonly crons: Array<{ cron: Cron; worker: FunctionWorker; expression: string; timer?: NodeJS.Timeout }> = [];
  private poller: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private liveness: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly options: Required<RunnerOptions>;

  constructor(jobs: readonly AnyJob[], options: RunnerOptions = {}) {
    this.options = {
      retryBaseMs: options.retryBaseMs ?? 2_000,
      retryMaxMs: options.retryMaxMs ?? 10 * 60_000,
      pollMs: options.pollMs ?? 10_000,
      livenessMs: options.livenessMs ?? 3_000,
      crons: options.crons ?? true,
      stopGraceMs: options.stopGraceMs ?? 10_000,
    };
    for (const job of jobs) {
      const spec = describeFunction(job);
      const worker = new FunctionWorker(spec, this.options);
      this.workers.set(spec.id, worker);
      if (this.options.crons) {
        for (const expression of spec.crons) this.crons.push({ cron: parseCron(expression), worker, expression });
      }
    }
  }

  async start(): Promise<void> {
    this.unsubscribe = queue.onEnqueued((ids) => this.noteEnqueued(ids));
    await this.sync();
    for (const c of this.crons) this.armCron(c);
    this.poller = setInterval(() => {
      this.sync().catch((err) => log.warn("job queue poll failed", errorFields(err)));
    }, this.options.pollMs);
    this.poller.unref();
    this.liveness = setInterval(() => {
      this.takeOverOrphans().catch((err) => log.warn("job liveness check failed", errorFields(err)));
    }, this.options.livenessMs);
    this.liveness.unref();
  }

  /** Tells the workers about events this process just stored. */
  private noteEnqueued(functionIds: string[]): void {
    const counts = new Map<string, number>();
    for (const id of functionIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, n] of counts) this.workers.get(id)?.notePending(n);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.poller) clearInterval(this.poller);
    if (this.liveness) clearInterval(this.liveness);
    for (const c of this.crons) if (c.timer) clearTimeout(c.timer);
    await Promise.all([...this.workers.values()].map((w) => w.stop(this.options.stopGraceMs)));
  }

  /** Re-reads waiting events and due runs from the database. */
  private async sync(): Promise<void> {
    if (this.stopped) return;
    await this.takeOverOrphans();
    const pending = new Map((await queue.pendingEvents()).map((p) => [p.functionId, p]));
    for (const [id, worker] of this.workers) {
      const p = pending.get(id);
      worker.resetPending(p?.count ?? 0, p?.oldest);
      worker.wake();
    }
  }

  /** Queues again the runs of dead processes (and wakes their workers); fails CLI job runs whose process died. */
  private async takeOverOrphans(): Promise<void> {
    if (this.stopped) return;
    const requeued = await queue.requeueOrphaned();
    const failed = await failOrphanedJobRuns();
    if (requeued > 0) {
      log.warn("resuming job runs of a stopped process", { runs: requeued });
      for (const worker of this.workers.values()) worker.wake();
    }
    if (failed > 0) log.warn("job runs of a stopped process marked failed", { runs: failed });
  }

  private armCron(c: (typeof this.crons)[number]): void {
    if (this.stopped) return;
    const next = c.cron.nextRun();
    if (!next) return;
    const delay = next.getTime() - Date.now();
    c.timer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) return this.armCron(c);
        this.fireCron(c.worker, c.expression, next)
          .catch((err) => log.error("cron trigger failed", { function_id: c.worker.spec.id, ...errorFields(err) }))
          .finally(() => this.armCron(c));
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
    c.timer.unref();
  }

  private async fireCron(worker: FunctionWorker, cron: string, at: Date): Promise<void> {
    const event = { name: CRON_EVENT, data: { cron }, ts: at.getTime() };
    // every instance fires; the tick's key makes one of them the one that runs it
    if (await queue.createTickExecution(worker.spec.id, event, worker.spec.maxAttempts, at)) worker.wake();
  }
}
