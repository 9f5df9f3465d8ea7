import { createHash } from "node:crypto";
import { z } from "zod";
import { db } from "@/lib/db/client";
import { prepared } from "@/lib/db/prepared";
import { TimError } from "@/lib/http/errors";
import { countTokens } from "@/lib/metrics/registry";
import { notePending } from "@/lib/tokens/denylist-set";
import { byKind, type DbTx, type TokenKind } from "@/lib/tokens/kinds";
import { INSERT_METADATA } from "@/lib/tokens/record-metadata";

/**
 * A limit on active tokens per subject (issue 17, seed 002's "automatic
 * oldest-token revocation"): per API client for custom tokens
 * (api_clients.active_token_limit), one global setting for TARA sessions
 * (lib/tara/session-limit.ts). Issuing past the limit revokes the subject's
 * oldest active tokens (of that client; for TARA: of that person) with reason
 * `token_limit`, in the transaction that records the new ones, so no commit
 * ever leaves more than the limit active.
 *
 * Concurrency: the issuing transaction first takes a transaction-scoped
 * advisory lock per (kind, client, subject), in one fixed order (so two
 * groups that share subjects cannot deadlock), then inserts, then revokes
 * past the limit. A second issuance for the same subject waits for the lock
 * and, reading committed rows afresh (READ COMMITTED), counts the first one's
 * tokens. Issuances of a client without a limit take none of this path.
 *
 * An extension counted against a limit takes the same lock (lib/tokens/extend.ts):
 * otherwise an issuance could revoke the very token being extended, as the
 * oldest, and leave its successor over the limit.
 */
export const TOKEN_LIMIT_REASON = "token_limit";
export const MAX_ACTIVE_TOKEN_LIMIT = 1000;

/** A limit as a setting: 1…1000 active tokens per subject, or null (off). */
export const activeTokenLimitSchema = z
  .number()
  .int()
  .min(1, "A token limit is at least 1 active token per subject.")
  .max(MAX_ACTIVE_TOKEN_LIMIT, `A token limit is at most ${MAX_ACTIVE_TOKEN_LIMIT} active tokens per subject.`)
  .nullable();

/** One subject under a limit in one issuing transaction; `revokedBy` is recorded on what the limit revokes. */
export type LimitedSubject = { clientId: string | null; subject: string; limit: number; revokedBy: string };

/** The advisory lock key of a (kind, client, subject): 64 bits of its SHA-256, as a signed bigint's text. */
export function limitLockKey(kind: TokenKind, clientId: string | null, subject: string): string {
  const digest = createHash("sha256")
    .update(`token-limit\0${kind}\0${clientId ?? ""}\0${subject}`)
    .digest();
  return digest.readBigInt64BE(0).toString();
}

// The keys in the given order (the caller sorts them), one lock each, held until the transaction ends.
const LOCK_TEXT = `SELECT count(pg_advisory_xact_lock(s.k)) AS locked
   FROM (SELECT u.k FROM unnest($1::text[]::bigint[]) WITH ORDINALITY AS u(k, i) ORDER BY u.i) s`;

/*
 * Revokes, per limited (client, subject), the active tokens past its limit: the
 * newest are kept, the tokens of this transaction ($2, in issuance order) before
 * any older one. $1: [{client_id, subject, lim, revoked_by}]; $2: [jti, …].
 */
const REVOKE_PAST_LIMIT = byKind((k) =>
  prepared(
    `revoke_past_limit_${k.kind}`,
    `WITH keys AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(client_id text, subject text, lim int, revoked_by text)
     ), fresh AS (
       SELECT j.jti::uuid AS jwt_uuid, j.ord FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS j(jti, ord)
     ), ranked AS (
       SELECT m.jwt_uuid, m.expires_at, k.lim, k.revoked_by,
              row_number() OVER (PARTITION BY k.client_id, k.subject
                                 ORDER BY f.ord DESC NULLS LAST, m.issued_at DESC, m.created_at DESC, m.jwt_uuid DESC) AS rn
         FROM keys k
         JOIN ${k.table.metadata} m ON m.subject = k.subject AND m.client_id IS NOT DISTINCT FROM k.client_id
         LEFT JOIN fresh f ON f.jwt_uuid = m.jwt_uuid
        WHERE m.expires_at > now()
          AND NOT EXISTS (SELECT 1 FROM ${k.table.denylist} d WHERE d.jwt_uuid = m.jwt_uuid)
     ), denied AS (
       INSERT INTO ${k.table.denylist} (jwt_uuid, expires_at, reason, revoked_by)
       SELECT jwt_uuid, expires_at, '${TOKEN_LIMIT_REASON}', revoked_by FROM ranked WHERE rn > lim ORDER BY jwt_uuid
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING jwt_uuid
     ), unlisted AS (DELETE FROM ${k.table.allowlist} WHERE jwt_uuid IN (SELECT jwt_uuid FROM denied))
     SELECT jwt_uuid::text AS jti FROM denied`,
  ),
);

/** Distinct limited subjects, sorted by lock key (the one order every transaction locks in). */
function distinctSorted(kind: TokenKind, subjects: LimitedSubject[]): { subjects: LimitedSubject[]; keys: string[] } {
  const byKey = new Map<string, LimitedSubject>();
  for (const s of subjects) byKey.set(limitLockKey(kind, s.clientId, s.subject), s);
  const keys = [...byKey.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  return { subjects: keys.map((key) => byKey.get(key)!), keys };
}

/** Takes the limited subjects' locks in this transaction (before their new rows are inserted). */
export async function lockLimitedSubjects(tx: DbTx, kind: TokenKind, subjects: LimitedSubject[]): Promise<void> {
  const { keys } = distinctSorted(kind, subjects);
  if (keys.length) await tx.$queryRawUnsafe(LOCK_TEXT, keys);
}

/**
 * Revokes what the new rows (`fresh`, already inserted in `tx`, in issuance
 * order) push past each subject's limit; returns the revoked jtis. The denylist
 * trigger announces them (live set, Shared Signals outbox) when `tx` commits.
 */
export async function revokePastLimit(tx: DbTx, kind: TokenKind, subjects: LimitedSubject[], fresh: string[]): Promise<string[]> {
  const { subjects: distinct } = distinctSorted(kind, subjects);
  if (distinct.length === 0) return [];
  const keys = distinct.map((s) => ({ client_id: s.clientId, subject: s.subject, lim: s.limit, revoked_by: s.revokedBy }));
  const rows = await tx.$queryRawUnsafe<{ jti: string }[]>(REVOKE_PAST_LIMIT[kind].text, JSON.stringify(keys), JSON.stringify(fresh));
  for (const r of rows) notePending(kind, r.jti);
  if (rows.length) countTokens("revoked", kind, "revoked", rows.length);
  return rows.map((r) => r.jti);
}

/**
 * Runs `write` (which writes new rows for limited subjects and names them, in
 * issuance order, as `fresh`) in one transaction after the subjects' locks and
 * before the revocations past their limits.
 */
export async function writeWithinLimits<T>(
  kind: TokenKind,
  subjects: LimitedSubject[],
  write: (tx: DbTx) => Promise<{ result: T; fresh: string[] }>,
): Promise<{ result: T; revoked: string[] }> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    await lockLimitedSubjects(tx, kind, subjects);
    const { result, fresh } = await write(tx);
    return { result, revoked: fresh.length ? await revokePastLimit(tx, kind, subjects, fresh) : [] };
  });
}

/** Records metadata rows whose subjects are under a limit: the one insert of the kind, within the limits. */
export async function insertWithinLimits(kind: TokenKind, rows: { jwtUuid: string }[], subjects: LimitedSubject[]): Promise<string[]> {
  const { revoked } = await writeWithinLimits(kind, subjects, async (tx) => {
    await tx.$executeRawUnsafe(INSERT_METADATA[kind].text, JSON.stringify(rows));
    return { result: undefined, fresh: rows.map((r) => r.jwtUuid) };
  });
  return revoked;
}

/** A request that names one subject more often than its limit would be handed tokens already revoked: refused. */
export function checkWithinLimit(subjects: (string | null)[], limit: number | null | undefined): void {
  if (!limit) return;
  const counts = new Map<string, number>();
  for (const s of subjects) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
  const over = [...counts].find(([, n]) => n > limit);
  if (over) {
    throw new TimError(
      "invalid_request",
      `This request issues ${over[1]} tokens for one subject; this API client keeps at most ${limit} active tokens per subject.`,
    );
  }
}
