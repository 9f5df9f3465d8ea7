import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { completeStoredFile } from "@/lib/files/complete";
import { findStoredFile, storedFileChunks } from "@/lib/files/read";
import { appendStoredFile, createStoredFile, lockStoredFile } from "@/lib/files/write";
import { finishJobRun, getJobRun, startJobRun, type JobTrigger } from "@/lib/jobs/runs";
import { KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";

/**
 * Archive purge: archived metadata older than TIM_ARCHIVE_DAYS (by
 * archived_at) is deleted in batches of ≤ 1,000. Each batch's rows are
 * appended as JSON Lines to the run's stored file of that table (lib/files,
 * in PostgreSQL) in the deleting transaction: a row is never deleted
 * unexported, nor exported twice, whichever instance runs the batch. The
 * files are downloadable from the console for TIM_EXPORT_DAYS; with
 * TIM_ARCHIVE_DIR set, the finished files are also copied there.
 */
export const ARCHIVE_PURGE_BATCH_SIZE = 1_000;
const DAY_MS = 86_400_000;

type ArchiveTable = TokenKind;
const TABLES = TOKEN_KINDS;
const countKey = (t: ArchiveTable) => KINDS[t].table.archive;
const CONTENT_TYPE = "application/x-ndjson; charset=utf-8";
const expiry = () => new Date(Date.now() + config().TIM_EXPORT_DAYS * DAY_MS);

/** Deletes one batch into the run's file `fileName`; returns how many rows were deleted (and exported). */
export async function purgeArchiveBatch(runId: string, table: ArchiveTable, cutoff: Date, fileName: string, limit = ARCHIVE_PURGE_BATCH_SIZE): Promise<number> {
  return (await db()).$transaction(
    async (tx) => {
      const archive = KINDS[table].sql.archive;
      const rows = await tx.$queryRaw<Array<Record<string, unknown>>>`
        DELETE FROM ${archive} WHERE id IN (
          SELECT id FROM ${archive} WHERE archived_at < ${cutoff}
           ORDER BY archived_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING *`;
      if (rows.length > 0) {
        const file =
          (await lockStoredFile(tx, runId, fileName)) ??
          (await createStoredFile(tx, { runId, name: fileName, contentType: CONTENT_TYPE, expiresAt: expiry() }));
        const text = `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
        await appendStoredFile(tx, file, Buffer.from(text, "utf8"), { expiresAt: expiry() });
      }
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
  /** The stored file (name) of each table's purged rows. */
  files: { custom: string; tara: string };
  table: number;
  counts: Record<string, number>;
  done: boolean;
};

export async function beginArchivePurge(input: { trigger: JobTrigger; requestedBy?: string | null; now?: Date }): Promise<ArchivePurgeState> {
  const cfg = config();
  const now = input.now ?? new Date();
  const cutoff = new Date(now.getTime() - cfg.TIM_ARCHIVE_DAYS * DAY_MS).toISOString();
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const files = { custom: `custom-jwt_metadata_archive-${stamp}.jsonl`, tara: `tara-jwt_metadata_archive-${stamp}.jsonl` };
  const counts = { [countKey("custom")]: 0, [countKey("tara")]: 0 };
  const runId = await startJobRun({
    counts,
    job: "archive_purge",
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    params: { archiveDays: cfg.TIM_ARCHIVE_DAYS, cutoff, copyDir: cfg.TIM_ARCHIVE_DIR ?? null },
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

/** Writes a stored file to `dir` whole or not at all (a temporary name, renamed when complete). */
async function copyToDir(file: Parameters<typeof storedFileChunks>[0] & { name: string }, dir: string): Promise<string> {
  const target = path.resolve(dir, file.name);
  const temp = `${target}.${process.pid}.tmp`;
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(temp, storedFileChunks(file), { mode: 0o600, flush: true });
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
  return target;
}

export type ArchivePurgeFile = { id: string; name: string; bytes: number; sha256: string; copy: string | null };

export async function endArchivePurge(state: ArchivePurgeState, error?: unknown): Promise<void> {
  if (error !== undefined) {
    await finishJobRun(state.runId, { error });
    return;
  }
  const dir = config().TIM_ARCHIVE_DIR;
  const files: ArchivePurgeFile[] = [];
  for (const table of TABLES) {
    const stored = await findStoredFile(state.runId, state.files[table]);
    if (!stored) continue;
    const done = await completeStoredFile(stored, expiry());
    const copy = dir ? await copyToDir(done, dir) : null;
    files.push({ id: done.id, name: done.name, bytes: done.size, sha256: done.sha256!, copy });
  }
  await finishJobRun(state.runId, { result: { files } });
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
