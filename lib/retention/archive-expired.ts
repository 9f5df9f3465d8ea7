import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { KINDS, USAGE_COLUMNS, byKind, type KindDescription, type TokenKind } from "@/lib/tokens/kinds";

/** Rows archived and deleted per transaction: issuance never waits long on these locks. */
export const RETENTION_BATCH_SIZE = 1_000;

/**
 * Expiry of the last archived row; null before the first batch. The next
 * batch scans idx_*_jwt_metadata_expires_id from there (>=: rows sharing that
 * expiry that were not taken are still found; archived ones are gone), so
 * rows kept for the allowlist or a live chain are passed over once per run.
 */
export type RetentionCursor = { expiresAt: string } | null;
export type ArchiveBatchResult = { archived: number; cursor: RetentionCursor };

const START = { expiresAt: "-infinity" };

type BatchRow = { archived: number; last_exp: Date | null };

/** What an archive row holds: the metadata row, its usage counters (0 and null if never used), when it was archived. */
export const ARCHIVE_COLUMNS: Record<TokenKind, readonly string[]> = byKind((k) => [...k.columns.map((c) => c.column), ...USAGE_COLUMNS, "archived_at"]);

/** The parts of one kind's archiving statement that do not change between batches. */
const ARCHIVE_SQL = byKind((k: KindDescription) => {
  const m = k.columns.map((c) => `mv.${c.column}`).join(", ");
  return {
    ...k.sql,
    into: Prisma.raw(`${k.table.archive} (${ARCHIVE_COLUMNS[k.kind].join(", ")})`),
    values: Prisma.raw(`${m}, COALESCE(g.use_count, 0), g.last_used_at, now()`),
    countKey: k.table.metadata,
  };
});

/**
 * Moves up to 1,000 metadata rows of one kind past retention into its archive
 * table (with their usage counters), in one statement (one transaction) that
 * also adds the count to the job run, so counts stay exact across retries. A
 * row qualifies when every member of its extension chain (same
 * original_jwt_uuid) expired before `cutoff` and no member's token hash is in
 * the allowlist. Deleting the metadata row deletes its usage row (ON DELETE
 * CASCADE); the statement's snapshot still reads it for the archive.
 */
export async function archiveExpiredBatch(
  kind: TokenKind,
  runId: string,
  cutoff: Date,
  after: RetentionCursor,
  limit = RETENTION_BATCH_SIZE,
): Promise<ArchiveBatchResult> {
  const from = after ?? START;
  const s = ARCHIVE_SQL[kind];
  const rows = await (await db()).$queryRaw<BatchRow[]>`
    WITH batch AS (
      SELECT m.id, m.expires_at FROM ${s.metadata} m
       WHERE m.expires_at < ${cutoff} AND m.expires_at >= ${from.expiresAt}::timestamptz
         AND NOT EXISTS (SELECT 1 FROM ${s.metadata} n
                          WHERE n.original_jwt_uuid = m.original_jwt_uuid AND n.expires_at >= ${cutoff})
         AND NOT EXISTS (SELECT 1 FROM ${s.metadata} n JOIN ${s.allowlist} a ON a.jwt_hash = n.token_hash
                          WHERE n.original_jwt_uuid = m.original_jwt_uuid)
       ORDER BY m.expires_at
       LIMIT ${limit}
       FOR UPDATE OF m SKIP LOCKED
    ), moved AS (
      DELETE FROM ${s.metadata} m USING batch b WHERE m.id = b.id RETURNING m.*
    ), archived AS (
      INSERT INTO ${s.into}
      SELECT ${s.values} FROM moved mv LEFT JOIN ${s.usage} g ON g.jwt_uuid = mv.jwt_uuid
      RETURNING 1
    ), progress AS (
      UPDATE tim.job_runs
         SET counts = jsonb_set(counts, ARRAY[${s.countKey}::text],
               to_jsonb(COALESCE((counts->>${s.countKey}::text)::bigint, 0) + (SELECT count(*) FROM archived))),
             updated_at = now()
       WHERE id = ${runId}::uuid RETURNING 1
    )
    SELECT (SELECT count(*) FROM archived)::int AS archived, (SELECT max(expires_at) FROM batch) AS last_exp`;
  const row = rows[0];
  return { archived: row.archived, cursor: row.last_exp ? { expiresAt: row.last_exp.toISOString() } : null };
}

/**
 * Runs `deletion` (a DELETE of one batch) and adds the number of rows it
 * removed to the job run's count `countKey`, in one statement, so the count
 * stays exact across retries. Returns how many were deleted.
 */
export async function deleteBatchCounted(runId: string, countKey: string, deletion: Prisma.Sql): Promise<number> {
  const [row] = await (await db()).$queryRaw<[{ n: number }]>`
    WITH gone AS (${deletion} RETURNING 1), progress AS (
      UPDATE tim.job_runs
         SET counts = jsonb_set(counts, ARRAY[${countKey}::text],
               to_jsonb(COALESCE((counts->>${countKey}::text)::bigint, 0) + (SELECT count(*) FROM gone))),
             updated_at = now()
       WHERE id = ${runId}::uuid RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone)::int AS n`;
  return row.n;
}

/**
 * Removes up to 1,000 denylist rows of tokens that expired before `cutoff`;
 * the run's count grows in the same statement.
 */
export async function purgeExpiredDenylistBatch(runId: string, kind: TokenKind, cutoff: Date, limit = RETENTION_BATCH_SIZE): Promise<number> {
  const table = KINDS[kind].sql.denylist;
  return deleteBatchCounted(
    runId,
    KINDS[kind].table.denylist,
    Prisma.sql`DELETE FROM ${table} WHERE jwt_uuid IN (
      SELECT jwt_uuid FROM ${table} WHERE expires_at < ${cutoff} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  );
}
