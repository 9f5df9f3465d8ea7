import { mkdir, open } from "node:fs/promises";
import path from "node:path";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { finishJobRun, getJobRun, startJobRun, type JobTrigger } from "@/lib/jobs/runs";
import { KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";

/**
 * Archive purge: archived metadata older than TIM_ARCHIVE_DAYS (by
 * archived_at) is deleted in batches of ≤ 1,000. With TIM_ARCHIVE_DIR set,
 * each batch is first appended to a JSON Lines file and flushed to disk
 * inside the deleting transaction: a row is never deleted unexported (a
 * crash after the write but before the commit can repeat lines in the file).
 */
export const ARCHIVE_PURGE_BATCH_SIZE = 1_000;
const DAY_MS = 86_400_000;

type ArchiveTable = TokenKind;
const TABLES = TOKEN_KINDS;
const countKey = (t: ArchiveTable) => KINDS[t].table.archive;

async function appendLines(file: string, rows: unknown[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, "a", 0o600);
  try {
    await handle.writeFile(rows.map((r) => JSON.stringify(r)).join("\n") + "\n", "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Deletes one batch; returns how many rows were deleted (and exported when `exportFile` is given). */
export async function purgeArchiveBatch(
  runId: string,
  table: ArchiveTable,
  cutoff: Date,
  exportFile: string | null,
  limit = ARCHIVE_PURGE_BATCH_SIZE,
): Promise<number> {
  return (await db()).$transaction(
    async (tx) => {
      const archive = KINDS[table].sql.archive;
      const rows = await tx.$queryRaw<Array<Record<string, unknown>>>`
        DELETE FROM ${archive} WHERE id IN (
          SELECT id FROM ${archive} WHERE archived_at < ${cutoff}
           ORDER BY archived_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING *`;
      if (rows.length > 0 && exportFile) await appendLines(exportFile, rows);
      const key = countKey(table);
      await tx.$executeRaw`
        UPDATE tim.job_runs
           SET counts = jsonb_set(counts, ARRAY[${key}], to_jsonb(COALESCE((counts->>${key})::bigint, 0) + ${rows.length}::bigint)),
               updated_at = now()
         WHERE id = ${runId}::uuid`;
      return rows.length;
    },
    { timeout: 60_000 },
  );
}

export type ArchivePurgeState = {
  runId: string;
  cutoff: string;
  files: { custom: string | null; tara: string | null };
  table: number;
  counts: Record<string, number>;
  done: boolean;
};


export async function beginArchivePurge(input: {
  trigger: JobTrigger;
  requestedBy?: string | null;
  now?: Date;
}): Promise<ArchivePurgeState> {
  const cfg = config();
  const now = input.now ?? new Date();
  const cutoff = new Date(now.getTime() - cfg.TIM_ARCHIVE_DAYS * DAY_MS).toISOString();
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const fileFor = (t: ArchiveTable) =>
    cfg.TIM_ARCHIVE_DIR ? path.resolve(cfg.TIM_ARCHIVE_DIR, `${t}-jwt_metadata_archive-${stamp}.jsonl`) : null;
  const files = { custom: fileFor("custom"), tara: fileFor("tara") };
  const counts = { [countKey("custom")]: 0, [countKey("tara")]: 0 };
  const runId = await startJobRun({
    counts,
    job: "archive_purge",
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    params: { archiveDays: cfg.TIM_ARCHIVE_DAYS, cutoff, exportDir: cfg.TIM_ARCHIVE_DIR ?? null },
  });
  return { runId, cutoff, files, table: 0, counts, done: false };
}

export async function continueArchivePurge(state: ArchivePurgeState, maxBatches = 50): Promise<ArchivePurgeState> {
  const s: ArchivePurgeState = { ...state };
  for (let i = 0; i < maxBatches && !s.done; i++) {
    const table = TABLES[s.table];
    const n = await purgeArchiveBatch(s.runId, table, new Date(s.cutoff), s.files[table]);
    if (n < ARCHIVE_PURGE_BATCH_SIZE) {
      s.table += 1;
      s.done = s.table >= TABLES.length;
    }
  }
  s.counts = (await getJobRun(s.runId))?.counts ?? s.counts;
  return s;
}

export async function endArchivePurge(state: ArchivePurgeState, error?: unknown): Promise<void> {
  const exported = TABLES.filter((t) => state.counts[countKey(t)] > 0).flatMap((t) => state.files[t] ?? []);
  await finishJobRun(state.runId, { result: { files: exported }, error });
}

/** One complete purge now (`npm run jobs -- archive-purge`). */
export async function runArchivePurge(input: { trigger: JobTrigger; requestedBy?: string | null; now?: Date }) {
  let state = await beginArchivePurge(input);
  try {
    while (!state.done) state = await continueArchivePurge(state);
  } catch (err) {
    await endArchivePurge(state, err);
    throw err;
  }
  await endArchivePurge(state);
  return state;
}
