import { z } from "zod";
import { auditActorSchema } from "@/lib/audit/event";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { badRequest } from "@/lib/http/errors";
import { addBulkProgress, defineBulkJob, type BulkJob, type BulkJobHandler } from "@/lib/jobs/bulk";
import { events } from "@/lib/jobs/events";
import { countTokens } from "@/lib/reporting/count";
import { kindsFor, tokenFilterSchema, type TokenFilters } from "@/lib/reporting/filters";
import { whereFor } from "@/lib/reporting/query";
import { KINDS } from "@/lib/tokens/kinds";
import { searchTokens, type TokenReportRow } from "@/lib/reporting/search";
import type { TokenKind } from "@/lib/tokens/kinds";
import { storableString } from "@/lib/db/storable";

/**
 * Emergency revocation by query (seed 001): every ACTIVE token matching the
 * filters and issued before the request goes on its denylist; already revoked
 * and expired tokens are never touched. Small sets are revoked in one
 * transaction with the audit event; large ones run as a background job.
 */
/** The filters revocation by query takes (it revokes active tokens only: no status or revocation reason). */
export const QUERY_FIELDS = [
  "subject",
  "jwt_name",
  "issued_from",
  "issued_to",
  "expires_from",
  "expires_to",
  "claim_keys",
  "issuer",
  "audience",
  "client_id",
  "address",
  "auth_method",
  "loa",
] as const satisfies readonly (keyof TokenFilters)[];

const SAMPLE_SIZE = 10;
const JOB_CHUNK = 1_000;

export const revocationReasonSchema = storableString.trim().min(3, "give a reason (at least 3 characters)").max(500);

/** The filters as the revocation applies them: active tokens only, issued no later than `at`. */
export function scoped(filters: TokenFilters, at: Date): TokenFilters {
  if (!QUERY_FIELDS.some((f) => filters[f] !== undefined)) {
    throw badRequest("A revocation by query needs at least one filter (subject, JWT name, issue time, claim key, API client, client address, TARA method…).");
  }
  const issuedTo = filters.issued_to && filters.issued_to < at ? filters.issued_to : at;
  return { ...filters, status: "active", issued_to: issuedTo };
}

export type RevocationPreview = { matched: number; sample: TokenReportRow[]; at: Date };

/** How many active tokens a revocation by query would revoke, and the first few of them. */
export async function previewRevocationByQuery(filters: TokenFilters, at = new Date()): Promise<RevocationPreview> {
  const query = scoped(filters, at);
  const [matched, page] = await Promise.all([countTokens(query, at), searchTokens(query, { sort: "issued_at", order: "desc", limit: SAMPLE_SIZE })]);
  return { matched, sample: page.items, at };
}

type RevokedBatch = { revoked: number; picked: number; lastId: string | null };

/**
 * Revokes the active matching tokens of one kind, all of them or (with `batch`)
 * the first `batch.limit` matches after `batch.afterId` in id order: a job walks
 * the table by id, so each batch reads only rows it has not seen (revoked ones
 * no longer match, but re-scanning past them made every batch slower than the last).
 */
export async function revokeMatching(
  tx: Prisma.TransactionClient,
  kind: TokenKind,
  query: TokenFilters,
  by: { reason: string; revokedBy: string },
  now: Date,
  batch?: { afterId: string | null; limit: number },
): Promise<RevokedBatch> {
  const where = whereFor(kind, query, now);
  const after = batch?.afterId ? Prisma.sql`m.id > ${batch.afterId}::uuid` : undefined;
  const filtered = after ? (where === Prisma.empty ? Prisma.sql`WHERE ${after}` : Prisma.sql`${where} AND ${after}`) : where;
  const page = batch ? Prisma.sql`ORDER BY m.id LIMIT ${batch.limit}` : Prisma.empty;
  const [row] = await tx.$queryRaw<[{ n: bigint | number; picked: bigint | number; last_id: string | null }]>`
    WITH picked AS (
      SELECT m.id, m.jwt_uuid, m.expires_at FROM ${KINDS[kind].sql.metadata} m ${filtered} ${page}
    ), revoked AS (
      INSERT INTO ${KINDS[kind].sql.denylist} (jwt_uuid, denylisted_at, expires_at, reason, revoked_by)
      SELECT p.jwt_uuid, now(), p.expires_at, ${by.reason}, ${by.revokedBy} FROM picked p
      ON CONFLICT (jwt_uuid) DO NOTHING
      RETURNING jwt_uuid
    ), unlisted AS (
      DELETE FROM ${KINDS[kind].sql.allowlist} a WHERE a.jwt_uuid IN (SELECT r.jwt_uuid FROM revoked r)
    )
    SELECT (SELECT count(*) FROM revoked) AS n, (SELECT count(*) FROM picked) AS picked, (SELECT p.id::text FROM picked p ORDER BY p.id DESC LIMIT 1) AS last_id`;
  return { revoked: Number(row.n), picked: Number(row.picked), lastId: row.last_id };
}

// ------------------------------------------------------ background job ---

const massRevocationParamsSchema = z.object({
  query: z.record(z.string(), z.string()),
  shown_query: z.record(z.string(), z.string()),
  reason: z.string(),
  revoked_by: z.string(),
  actor: auditActorSchema,
  request_id: z.string().nullable(),
  at: z.iso.datetime(),
});
export type MassRevocationParams = z.infer<typeof massRevocationParamsSchema>;

function jobQuery(params: unknown): { p: MassRevocationParams; query: TokenFilters; at: Date } {
  const p = massRevocationParamsSchema.parse(params);
  const query = tokenFilterSchema.parse(p.query);
  return { p, query, at: new Date(p.at) };
}

/** A job's position: the kind it is on and the last metadata id it has passed ("custom:<id>"; "custom:" at the start). */
function parseCursor(cursor: string | null, kinds: TokenKind[]): { kind: TokenKind; afterId: string | null } | undefined {
  if (cursor === null) return { kind: kinds[0], afterId: null };
  const [kind, afterId] = cursor.split(":");
  const known = kinds.find((k) => k === kind);
  return known ? { kind: known, afterId: afterId || null } : undefined;
}

/** The mass-revocation job's work (lib/jobs/bulk.ts drives it chunk by chunk, with progress). */
export const massRevocationHandler: BulkJobHandler = {
  async count(params) {
    const { query, at } = jobQuery(params);
    return countTokens(query, at);
  },
  async chunk(params, cursor, runId) {
    const { p, query } = jobQuery(params);
    const kinds = kindsFor(query);
    const from = parseCursor(cursor, kinds);
    if (!from) return { processed: 0, cursor, done: true, recorded: true };
    return (await db()).$transaction(
      async (tx) => {
        // Fills the chunk kind by kind: a kind's short page means it is done, the next starts from its beginning.
        let revoked = 0;
        let room = JOB_CHUNK;
        let at: { kind: TokenKind; afterId: string | null } | undefined = from;
        while (at && room > 0) {
          const page = await revokeMatching(tx, at.kind, query, { reason: p.reason, revokedBy: p.revoked_by }, new Date(), {
            afterId: at.afterId,
            limit: room,
          });
          revoked += page.revoked;
          if (page.picked === room) {
            at = { kind: at.kind, afterId: page.lastId };
            room = 0;
          } else {
            room -= page.picked;
            const next: TokenKind | undefined = kinds[kinds.indexOf(at.kind) + 1];
            at = next ? { kind: next, afterId: null } : undefined;
          }
        }
        const nextCursor = at ? `${at.kind}:${at.afterId ?? ""}` : null;
        if (revoked > 0) {
          await recordAudit(tx, {
            actor: p.actor,
            action: "tokens.revoke_by_query",
            target: { query: p.shown_query, run_id: runId },
            reason: p.reason,
            counts: { revoked },
            requestId: p.request_id,
          });
        }
        // The count is written with the batch, so a step retried after a crash never loses or repeats it.
        await addBulkProgress(tx, runId, revoked);
        return { processed: revoked, cursor: nextCursor, done: nextCursor === null, recorded: true };
      },
      { timeout: 60_000 },
    );
  },
};

/** Mass revocation (`mass-revocation`): revocations by query too large for one request (lib/admin/revoke-by-query.ts queues them). */
export const massRevocation: BulkJob = { kind: "mass_revocation", handler: massRevocationHandler };

export const massRevocationJob = defineBulkJob(massRevocation, {
  id: "mass-revocation",
  name: "Mass revocation",
  event: events.revocationRequested,
});
