import { archiveExpiredBatch, purgeExpiredDenylistBatch, RETENTION_BATCH_SIZE, type RetentionCursor } from "@/lib/retention/archive-expired";
import { deleteExpiredFiles } from "@/lib/files/cleanup";
import { getRetentionSettings } from "@/lib/retention/settings";
import { KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";
import { purgeExpiredOauthStatesBatch, STATE_CLEANUP_BATCH_SIZE } from "@/lib/tara/state-cleanup";
import { PROTOCOL_LOG_BATCH_SIZE, purgeProtocolLogBatch } from "@/lib/tara/protocol-log";
import { purgeSsfEventsBatch, SSF_PURGE_BATCH_SIZE } from "@/lib/ssf/purge-events";
import { config } from "@/lib/config/env";
import { defineJob } from "@/lib/jobs/define";
import { events } from "@/lib/jobs/events";
import { purgeFinishedJobState } from "@/lib/jobs/runner/queue";
import { inPlace, runInSlices } from "@/lib/jobs/slices";
import { addJobRunCounts, finishJobRun, getJobRun, startJobRun, type JobTrigger } from "@/lib/jobs/runs";
import { reportRetention } from "@/lib/metrics/registry";

/**
 * Nightly retention, in resumable chunks: each chunk runs up to
 * `maxBatches` batches of ≤ 1,000 rows (one transaction each) and returns
 * the state to continue from, so a background function can make each chunk
 * a step and a retry resumes where the last completed chunk ended.
 */
export type RetentionState = {
  runId: string;
  cutoffs: { custom: string; tara: string; denylist: string; protocol: string };
  phase: number;
  cursor: RetentionCursor;
  counts: Record<string, number>;
  done: boolean;
};

/** Denylist rows are kept a little past expiry, covering validation's clock tolerance. */
const DENYLIST_GRACE_MS = 10 * 60_000;
/** Finished runs of the in-process runner and applied-effect keys are kept this long. */
const JOB_STATE_DAYS = 7;
const DAY_MS = 86_400_000;

type PhaseResult = { cursor: RetentionCursor; finished: boolean };
type Phase = { table: string; batch: (s: RetentionState) => Promise<PhaseResult> };

// Every batch adds its count to the job run in its own transaction (see
// archive-expired.ts), so the run's counts are exact even when a chunk fails
// half-way and is retried.
const archivePhase =
  (kind: TokenKind) =>
  async (s: RetentionState): Promise<PhaseResult> => {
    const r = await archiveExpiredBatch(kind, s.runId, new Date(s.cutoffs[kind]), s.cursor);
    return { cursor: r.cursor, finished: r.archived < RETENTION_BATCH_SIZE };
  };

const denylistPhase =
  (kind: TokenKind) =>
  async (s: RetentionState): Promise<PhaseResult> => {
    const n = await purgeExpiredDenylistBatch(s.runId, kind, new Date(s.cutoffs.denylist));
    return { cursor: null, finished: n < RETENTION_BATCH_SIZE };
  };

const PHASES: Phase[] = [
  ...TOKEN_KINDS.map((kind) => ({ table: KINDS[kind].table.metadata, batch: archivePhase(kind) })),
  ...TOKEN_KINDS.map((kind) => ({ table: KINDS[kind].table.denylist, batch: denylistPhase(kind) })),
  // Login states get the denylist's grace too: a login whose state expires mid-callback still finishes.
  {
    table: "tara.oauth_state",
    batch: async (s) => {
      const n = await purgeExpiredOauthStatesBatch(s.runId, new Date(s.cutoffs.denylist));
      return { cursor: null, finished: n < STATE_CLEANUP_BATCH_SIZE };
    },
  },
  {
    table: "tara.protocol_log",
    batch: async (s) => {
      const n = await purgeProtocolLogBatch(s.runId, new Date(s.cutoffs.protocol));
      return { cursor: null, finished: n < PROTOCOL_LOG_BATCH_SIZE };
    },
  },
  {
    table: "tim.ssf_events",
    batch: async (s) => {
      const n = await purgeSsfEventsBatch(s.runId);
      return { cursor: null, finished: n < SSF_PURGE_BATCH_SIZE };
    },
  },
  {
    table: "tim.files",
    batch: async (s) => {
      await addJobRunCounts(s.runId, { "tim.files": await deleteExpiredFiles() });
      return { cursor: null, finished: true };
    },
  },
  {
    table: "tim.job_executions",
    batch: async (s) => {
      const r = await purgeFinishedJobState(JOB_STATE_DAYS);
      await addJobRunCounts(s.runId, { "tim.job_executions": r.executions, "tim.job_effects": r.effects });
      return { cursor: null, finished: true };
    },
  },
];

/** Records the run and fixes the cutoffs from the current settings. */
export async function beginRetention(input: { trigger: JobTrigger; requestedBy?: string | null; now?: Date }): Promise<RetentionState> {
  const now = (input.now ?? new Date()).getTime();
  const settings = await getRetentionSettings();
  const cutoffs = {
    custom: new Date(now - settings.customDays * DAY_MS).toISOString(),
    tara: new Date(now - settings.taraDays * DAY_MS).toISOString(),
    denylist: new Date(now - DENYLIST_GRACE_MS).toISOString(),
    // TARA spec §5.3: the protocol log has its own retention (1 to 7 years advised).
    protocol: new Date(now - config().TIM_RETENTION_TARA_PROTOCOL_DAYS * DAY_MS).toISOString(),
  };
  const counts = Object.fromEntries([...PHASES.map((p) => p.table), "tim.job_effects"].map((t) => [t, 0]));
  const runId = await startJobRun({
    job: "retention",
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    params: { customDays: settings.customDays, taraDays: settings.taraDays, cutoffs },
    counts,
  });
  return { runId, cutoffs, phase: 0, cursor: null, counts, done: false };
}

/** Runs up to `maxBatches` batches; returns where to continue and the run's counts so far. */
export async function continueRetention(state: RetentionState, maxBatches = 50): Promise<RetentionState> {
  const s: RetentionState = { ...state };
  for (let i = 0; i < maxBatches && !s.done; i++) {
    const r = await PHASES[s.phase].batch(s);
    s.cursor = r.cursor;
    if (r.finished) {
      s.phase += 1;
      s.cursor = null;
      s.done = s.phase >= PHASES.length;
    }
  }
  s.counts = (await getJobRun(s.runId))?.counts ?? s.counts;
  // The metrics count what this chunk did (the run's counts less those it started from).
  const done = Object.fromEntries(Object.entries(s.counts).map(([table, n]) => [table, n - (state.counts[table] ?? 0)]));
  reportRetention(done, s.done ? 1 : s.phase / PHASES.length);
  return s;
}

export async function endRetention(state: RetentionState, error?: unknown): Promise<void> {
  await finishJobRun(state.runId, { error });
}

/** One complete run now (the CLI's `npm run jobs -- retention`). */
export function runRetention(input: { trigger: JobTrigger; requestedBy?: string | null; now?: Date }) {
  return runInSlices(inPlace, "archive-batches", {
    begin: () => beginRetention(input),
    next: (from) => continueRetention(from),
    end: (at, error) => endRetention(at, error),
  });
}

/**
 * Retention (nightly, TIM_RETENTION_CRON; or on request from the console):
 * archive and delete metadata past retention, remove expired denylist rows.
 * Each chunk is a step, so a retry resumes after the last completed chunk.
 */
export const retentionJob = defineJob({
  id: "retention",
  name: "Retention: archive expired metadata",
  trigger: {
    event: events.retentionRequested,
    // read when a provider starts, not when this module loads
    get cron() {
      return config().TIM_RETENTION_CRON;
    },
  },
  concurrency: 1,
  retries: 3,
  handler: async ({ event, step }) => {
    const requestedBy = event.name === events.retentionRequested.name ? event.data.requested_by : null;
    const state = await runInSlices(step, "archive-batches", {
      begin: () => beginRetention({ trigger: requestedBy === null ? "cron" : "console", requestedBy: requestedBy || null }),
      next: (from) => continueRetention(from),
      end: (at, error) => endRetention(at, error),
    });
    return { runId: state.runId, counts: state.counts };
  },
});
