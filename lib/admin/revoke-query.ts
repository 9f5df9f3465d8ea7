import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { ACTOR_TYPES } from "@/lib/audit/event";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { TimError, badRequest } from "@/lib/http/errors";
import { describeZodError } from "@/lib/http/handler";
import { registerBulkJobHandler, requestBulkJob, type BulkJobHandler } from "@/lib/jobs/bulk";
import { countTokens } from "@/lib/reporting/count";
import { filtersToParams, kindsFor, tokenFilterSchema, type TokenFilters } from "@/lib/reporting/filters";
import { allowlistOf, denylistOf, metadataOf, whereFor } from "@/lib/reporting/query";
import { searchTokens, type TokenReportRow } from "@/lib/reporting/search";
import type { TokenKind } from "@/lib/tokens/kinds";
import { storableString } from "@/lib/db/storable";

/**
 * Emergency revocation by query (seed 001): every ACTIVE token matching the
 * filters and issued before the request goes on its denylist; already revoked
 * and expired tokens are never touched. Small sets are revoked in one
 * transaction with the audit event; large ones run as a background job.
 */
const QUERY_FIELDS = [
  "subject", "jwt_name", "issued_from", "issued_to", "expires_from", "expires_to", "claim_keys",
  "issuer", "audience", "client_id", "auth_method", "loa",
] as const satisfies readonly (keyof TokenFilters)[];

const SAMPLE_SIZE = 10;
const JOB_CHUNK = 1_000;

export const revocationReasonSchema = storableString.trim().min(3, "give a reason (at least 3 characters)").max(500);

/** The filters as the revocation applies them: active tokens only, issued no later than `at`. */
function scoped(filters: TokenFilters, at: Date): TokenFilters {
  if (!QUERY_FIELDS.some((f) => filters[f] !== undefined)) {
    throw badRequest("A revocation by query needs at least one filter (subject, JWT name, issue time, claim key, API client, TARA method…).");
  }
  const issuedTo = filters.issued_to && filters.issued_to < at ? filters.issued_to : at;
  return { ...filters, status: "active", issued_to: issuedTo };
}

export type RevocationPreview = { matched: number; sample: TokenReportRow[]; at: Date };

/** How many active tokens a revocation by query would revoke, and the first few of them. */
export async function previewRevocationByQuery(filters: TokenFilters, at = new Date()): Promise<RevocationPreview> {
  const query = scoped(filters, at);
  const [matched, page] = await Promise.all([
    countTokens(query, at),
    searchTokens(query, { sort: "issued_at", order: "desc", limit: SAMPLE_SIZE }),
  ]);
  return { matched, sample: page.items, at };
}

/** Revokes up to `limit` (all when undefined) active matching tokens of one kind; returns how many. */
async function revokeMatching(
  tx: Prisma.TransactionClient,
  kind: TokenKind,
  query: TokenFilters,
  by: { reason: string; revokedBy: string },
  now: Date,
  limit?: number,
): Promise<number> {
  const cap = limit === undefined ? Prisma.empty : Prisma.sql`LIMIT ${limit}`;
  const [row] = await tx.$queryRaw<[{ n: bigint | number }]>`
    WITH picked AS (
      SELECT m.jwt_uuid, m.expires_at FROM ${metadataOf(kind)} m ${whereFor(kind, query, now)} ${cap}
    ), revoked AS (
      INSERT INTO ${denylistOf(kind)} (jwt_uuid, denylisted_at, expires_at, reason, revoked_by)
      SELECT p.jwt_uuid, now(), p.expires_at, ${by.reason}, ${by.revokedBy} FROM picked p
      ON CONFLICT (jwt_uuid) DO NOTHING
      RETURNING jwt_uuid
    ), unlisted AS (
      DELETE FROM ${allowlistOf(kind)} a WHERE a.jwt_uuid IN (SELECT r.jwt_uuid FROM revoked r)
    )
    SELECT count(*) AS n FROM revoked`;
  return Number(row.n);
}

export type RevocationByQueryResult =
  | { mode: "done"; revoked: number }
  | { mode: "job"; runId: string; matched: number };

export async function revokeByQuery(input: {
  filters: TokenFilters;
  reason: string;
  /** The count the administrator typed to confirm; must equal the current match count. */
  confirmCount: number;
  actor: AuditActor;
  revokedBy: string;
  requestId?: string | null;
}): Promise<RevocationByQueryResult> {
  const reason = revocationReasonSchema.safeParse(input.reason);
  if (!reason.success) throw badRequest(describeZodError(reason.error));
  const at = new Date();
  const query = scoped(input.filters, at);
  const params = filtersToParams(input.filters);
  const changed = (matched: number) =>
    new TimError(409, "count_changed", `${matched} active tokens match, not ${input.confirmCount}: type the number the preview shows (it may have changed since).`, { matched });

  const matched = await countTokens(query, at);
  if (matched === 0) throw badRequest("No active token matches these filters; nothing was revoked.");
  if (matched !== input.confirmCount) throw changed(matched);

  if (matched > config().TIM_BULK_REVOKE_INLINE_MAX) {
    registerMassRevocationHandler();
    const jobParams: MassRevocationParams = {
      query: filtersToParams(query),
      shown_query: params,
      reason: reason.data,
      revoked_by: input.revokedBy,
      actor: input.actor,
      request_id: input.requestId ?? null,
      at: at.toISOString(),
    };
    const runId = await requestBulkJob("mass_revocation", { requestedBy: input.revokedBy, params: jobParams });
    await (await db()).$transaction((tx) =>
      recordAudit(tx, {
        actor: input.actor,
        action: "tokens.revoke_by_query.queued",
        target: { query: params, run_id: runId },
        reason: reason.data,
        counts: { matched },
        requestId: input.requestId,
      }),
    );
    return { mode: "job", runId, matched };
  }

  const revoked = await (await db()).$transaction(
    async (tx) => {
      let total = 0;
      for (const kind of kindsFor(query)) total += await revokeMatching(tx, kind, query, { reason: reason.data, revokedBy: input.revokedBy }, at);
      // Another revocation in between changes the number: nothing is revoked then.
      if (total !== input.confirmCount) throw changed(total);
      await recordAudit(tx, {
        actor: input.actor,
        action: "tokens.revoke_by_query",
        target: { query: params },
        reason: reason.data,
        counts: { matched, revoked: total },
        requestId: input.requestId,
      });
      return total;
    },
    { timeout: 120_000 },
  );
  return { mode: "done", revoked };
}

// ------------------------------------------------------ background job ---

const massRevocationParamsSchema = z.object({
  query: z.record(z.string(), z.string()),
  shown_query: z.record(z.string(), z.string()),
  reason: z.string(),
  revoked_by: z.string(),
  actor: z.object({ type: z.enum(ACTOR_TYPES), id: z.string() }),
  request_id: z.string().nullable(),
  at: z.iso.datetime(),
});
type MassRevocationParams = z.infer<typeof massRevocationParamsSchema>;

function jobQuery(params: unknown): { p: MassRevocationParams; query: TokenFilters; at: Date } {
  const p = massRevocationParamsSchema.parse(params);
  const query = tokenFilterSchema.parse(p.query);
  return { p, query, at: new Date(p.at) };
}

/** The mass-revocation job's work (lib/jobs/bulk.ts drives it chunk by chunk, with progress). */
export const massRevocationHandler: BulkJobHandler = {
  async count(params) {
    const { query, at } = jobQuery(params);
    return countTokens(query, at);
  },
  async chunk(params, _cursor, runId) {
    const { p, query } = jobQuery(params);
    const revoked = await (await db()).$transaction(
      async (tx) => {
        let n = 0;
        for (const kind of kindsFor(query)) {
          if (n >= JOB_CHUNK) break;
          n += await revokeMatching(tx, kind, query, { reason: p.reason, revokedBy: p.revoked_by }, new Date(), JOB_CHUNK - n);
        }
        if (n > 0) {
          await recordAudit(tx, {
            actor: p.actor,
            action: "tokens.revoke_by_query",
            target: { query: p.shown_query, run_id: runId },
            reason: p.reason,
            counts: { revoked: n },
            requestId: p.request_id,
          });
        }
        return n;
      },
      { timeout: 60_000 },
    );
    // Revoked tokens stop matching, so each chunk takes the next ones; a short chunk was the last.
    return { processed: revoked, cursor: null, done: revoked < JOB_CHUNK };
  },
};

export function registerMassRevocationHandler(): void {
  registerBulkJobHandler("mass_revocation", massRevocationHandler);
}
