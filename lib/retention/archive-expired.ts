import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";

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

// One statement deletes and archives, so both happen or neither does.
function result(row: BatchRow): ArchiveBatchResult {
  return {
    archived: row.archived,
    cursor: row.last_exp ? { expiresAt: row.last_exp.toISOString() } : null,
  };
}

/**
 * Moves up to 1,000 custom metadata rows past retention into
 * custom.jwt_metadata_archive, in one statement (one transaction) that also
 * adds the count to the job run, so counts stay exact across retries. A row
 * qualifies when every member of its extension chain (same original_jwt_uuid)
 * expired before `cutoff` and no member's token hash is in the allowlist.
 */
export async function archiveExpiredCustomBatch(
  runId: string,
  cutoff: Date,
  after: RetentionCursor,
  limit = RETENTION_BATCH_SIZE,
): Promise<ArchiveBatchResult> {
  const from = after ?? START;
  const rows = await (await db()).$queryRaw<BatchRow[]>`
    WITH batch AS (
      SELECT m.id, m.expires_at FROM custom.jwt_metadata m
       WHERE m.expires_at < ${cutoff} AND m.expires_at >= ${from.expiresAt}::timestamptz
         AND NOT EXISTS (SELECT 1 FROM custom.jwt_metadata n
                          WHERE n.original_jwt_uuid = m.original_jwt_uuid AND n.expires_at >= ${cutoff})
         AND NOT EXISTS (SELECT 1 FROM custom.jwt_metadata n JOIN custom.allowlist a ON a.jwt_hash = n.token_hash
                          WHERE n.original_jwt_uuid = m.original_jwt_uuid)
       ORDER BY m.expires_at
       LIMIT ${limit}
       FOR UPDATE OF m SKIP LOCKED
    ), moved AS (
      DELETE FROM custom.jwt_metadata m USING batch b WHERE m.id = b.id RETURNING m.*
    ), archived AS (
      INSERT INTO custom.jwt_metadata_archive (id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject,
             jwt_name, audience, issuer, supersedes, original_jwt_uuid, claims_json, token_hash, token_type,
             client_id, last_used_at, use_count, archived_at)
      SELECT id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer,
             supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id, last_used_at, use_count,
             now()
        FROM moved
      RETURNING 1
    ), progress AS (
      UPDATE tim.job_runs
         SET counts = jsonb_set(counts, '{custom.jwt_metadata}',
               to_jsonb(COALESCE((counts->>'custom.jwt_metadata')::bigint, 0) + (SELECT count(*) FROM archived))),
             updated_at = now()
       WHERE id = ${runId}::uuid RETURNING 1
    )
    SELECT (SELECT count(*) FROM archived)::int AS archived, (SELECT max(expires_at) FROM batch) AS last_exp`;
  return result(rows[0]);
}

/** The same for TARA tokens: tara.jwt_metadata into tara.jwt_metadata_archive. */
export async function archiveExpiredTaraBatch(
  runId: string,
  cutoff: Date,
  after: RetentionCursor,
  limit = RETENTION_BATCH_SIZE,
): Promise<ArchiveBatchResult> {
  const from = after ?? START;
  const rows = await (await db()).$queryRaw<BatchRow[]>`
    WITH batch AS (
      SELECT m.id, m.expires_at FROM tara.jwt_metadata m
       WHERE m.expires_at < ${cutoff} AND m.expires_at >= ${from.expiresAt}::timestamptz
         AND NOT EXISTS (SELECT 1 FROM tara.jwt_metadata n
                          WHERE n.original_jwt_uuid = m.original_jwt_uuid AND n.expires_at >= ${cutoff})
         AND NOT EXISTS (SELECT 1 FROM tara.jwt_metadata n JOIN tara.allowlist a ON a.jwt_hash = n.token_hash
                          WHERE n.original_jwt_uuid = m.original_jwt_uuid)
       ORDER BY m.expires_at
       LIMIT ${limit}
       FOR UPDATE OF m SKIP LOCKED
    ), moved AS (
      DELETE FROM tara.jwt_metadata m USING batch b WHERE m.id = b.id RETURNING m.*
    ), archived AS (
      INSERT INTO tara.jwt_metadata_archive (id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject,
             jwt_name, audience, issuer, supersedes, original_jwt_uuid, claims_json, token_hash, token_type,
             client_id, last_used_at, use_count, auth_method, level_of_assurance, session_id, oauth_state_id,
             given_name, family_name, email, email_verified, phone_number, phone_number_verified, archived_at)
      SELECT id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer,
             supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id, last_used_at, use_count,
             auth_method, level_of_assurance, session_id, oauth_state_id, given_name, family_name,
             email, email_verified, phone_number, phone_number_verified, now()
        FROM moved
      RETURNING 1
    ), progress AS (
      UPDATE tim.job_runs
         SET counts = jsonb_set(counts, '{tara.jwt_metadata}',
               to_jsonb(COALESCE((counts->>'tara.jwt_metadata')::bigint, 0) + (SELECT count(*) FROM archived))),
             updated_at = now()
       WHERE id = ${runId}::uuid RETURNING 1
    )
    SELECT (SELECT count(*) FROM archived)::int AS archived, (SELECT max(expires_at) FROM batch) AS last_exp`;
  return result(rows[0]);
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

const DENYLIST = { custom: Prisma.raw("custom.denylist"), tara: Prisma.raw("tara.denylist") };

/**
 * Removes up to 1,000 denylist rows of tokens that expired before `cutoff`;
 * the run's count grows in the same statement.
 */
export async function purgeExpiredDenylistBatch(
  runId: string,
  tokenType: "custom" | "tara",
  cutoff: Date,
  limit = RETENTION_BATCH_SIZE,
): Promise<number> {
  const table = DENYLIST[tokenType];
  return deleteBatchCounted(
    runId,
    `${tokenType}.denylist`,
    Prisma.sql`DELETE FROM ${table} WHERE jwt_uuid IN (
      SELECT jwt_uuid FROM ${table} WHERE expires_at < ${cutoff} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  );
}
