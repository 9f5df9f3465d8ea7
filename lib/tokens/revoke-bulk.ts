import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import type { AuditEvent } from "@/lib/audit/event";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { TimError } from "@/lib/http/errors";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { countTokens } from "@/lib/metrics/registry";
import { notePending } from "@/lib/tokens/denylist-set";
import { revocationTarget, revokeByJti, type ParsedRevocation, type Revocation } from "@/lib/tokens/revoke";
import { KINDS, byKind, type DbTx, type TokenKind } from "@/lib/tokens/kinds";
import { prepared } from "@/lib/db/prepared";
import { storableString } from "@/lib/db/storable";

export const MAX_BULK_REVOKE = 100;

/** Room for MAX_BULK_REVOKE tokens with large claim sets (100 RS256 tokens alone are about 66 KB). */
export const BULK_REVOKE_MAX_BYTES = 512 * 1024;

/** How many tokens are checked in the handler (checkBulkSize), so that too many get TIM 2.0's request_too_large. */
export const bulkRevokeRequestSchema = z.object({
  tokens: z.array(z.unknown()).min(1, "Tokens list is required and cannot be empty"),
  reason: storableString.trim().min(1).max(500).optional(),
});

/** More than MAX_BULK_REVOKE tokens → 400 request_too_large with `provided` and `maximum`, as TIM 2.0 answers. */
export function checkBulkSize(tokens: unknown[]): void {
  if (tokens.length > MAX_BULK_REVOKE) {
    throw new TimError("request_too_large", `Cannot revoke more than ${MAX_BULK_REVOKE} tokens at once`, {
      provided: tokens.length,
      maximum: MAX_BULK_REVOKE,
    });
  }
}

export type BulkRevocationResult = {
  total: number;
  newly_revoked: number;
  already_revoked: number;
  failed: number;
  /** Of the failed: tokens another API client issued (reason "Token not issued by this client"). */
  not_owned: number;
  newly_revoked_ids: string[];
  already_revoked_ids: string[];
  failures: { index: number; reason: string }[];
  /** TIM 2.0's lists: the first 20 characters of each token and "..." (its jti is in the *_ids lists). */
  newly_revoked_tokens: string[];
  already_revoked_tokens: string[];
  failed_tokens: { token: string; reason: string }[];
};

/** How TIM 2.0 names a token in its bulk answer; what is no string (TIM 2.0 refused the request) by its type. */
function tokenPrefix(token: unknown): string {
  if (typeof token !== "string") return `(${token === null ? "null" : Array.isArray(token) ? "array" : typeof token})...`;
  return `${token.slice(0, 20)}...`;
}

/** Who asked for a bulk revocation, for its audit event. */
export type BulkRevocationAudit = { actor: AuditActor; requestId?: string | null };

/**
 * Revokes up to 100 tokens: unreadable or forged ones, and with
 * `onlyIssuedBy` those another client issued, are reported as failures, the
 * rest are denylisted in one transaction, which also writes the audit event
 * when `audit` is given. The same token twice counts once as newly and then as
 * already revoked.
 */
export async function revokeTokensInBulk(
  tokens: unknown[],
  kinds: readonly TokenKind[],
  by: Pick<Revocation, "reason" | "revokedBy" | "onlyIssuedBy">,
  audit?: BulkRevocationAudit,
): Promise<BulkRevocationResult> {
  const failures: BulkRevocationResult["failures"] = [];
  let targets: (ParsedRevocation & { index: number })[] = [];
  let notOwned = 0;
  for (const [index, token] of tokens.entries()) {
    try {
      targets.push({ ...(await revocationTarget(token, kinds)), index });
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
      failures.push({ index, reason: err.reason });
    }
  }
  const newly: string[] = [];
  const already: string[] = [];
  const newlyAt: number[] = [];
  const alreadyAt: number[] = [];
  if (targets.length) {
    const prisma = await db();
    await prisma.$transaction(async (tx) => {
      if (by.onlyIssuedBy !== undefined) {
        const owned = await ownedBy(tx, by.onlyIssuedBy, targets);
        for (const t of targets.filter((t) => !owned.has(ownedKey(t.kind, t.jti)))) {
          failures.push({ index: t.index, reason: "Token not issued by this client" });
          notOwned++;
        }
        targets = targets.filter((t) => owned.has(ownedKey(t.kind, t.jti)));
        failures.sort((a, b) => a.index - b.index);
      }
      for (const target of targets) {
        const outcome = await revokeByJti(target.kind, { ...target, ...by }, tx);
        (outcome === "revoked" ? newly : already).push(target.jti);
        (outcome === "revoked" ? newlyAt : alreadyAt).push(target.index);
      }
      if (audit) {
        await auditRevocation(tx, audit, {
          target: { jwt_uuids: [...new Set(targets.map((t) => t.jti))] },
          revoked: newly,
          reason: by.reason,
          counts: { revoked: newly.length, already_revoked: already.length, failed: failures.length, ...(notOwned ? { not_owned: notOwned } : {}) },
        });
      }
    });
  }
  return {
    total: tokens.length,
    newly_revoked: newly.length,
    already_revoked: already.length,
    failed: failures.length,
    not_owned: notOwned,
    newly_revoked_ids: newly,
    already_revoked_ids: already,
    failures,
    newly_revoked_tokens: newlyAt.map((i) => tokenPrefix(tokens[i])),
    already_revoked_tokens: alreadyAt.map((i) => tokenPrefix(tokens[i])),
    failed_tokens: failures.map((f) => ({ token: tokenPrefix(tokens[f.index]), reason: f.reason })),
  };
}

/**
 * The audit event of a revocation of many tokens, in its transaction: `revoked` names the ones it revoked
 * itself, which the audit fold (lib/audit/fold-token-changes.ts) then skips.
 */
async function auditRevocation(
  tx: Prisma.TransactionClient,
  audit: BulkRevocationAudit,
  event: { target: Record<string, unknown>; revoked: string[]; reason?: string | null; counts: Record<string, number> },
): Promise<void> {
  await recordAudit(tx, {
    actor: audit.actor,
    action: "tokens.revoke",
    target: { ...event.target, revoked: event.revoked } as AuditEvent["target"],
    reason: event.reason,
    counts: event.counts,
    requestId: audit.requestId,
  });
}

const ownedKey = (kind: TokenKind, jti: string) => `${kind}:${jti.toLowerCase()}`;

/** The targets whose metadata rows name `clientId` (`kind:jti`), read in the revoking transaction. */
async function ownedBy(tx: DbTx, clientId: string, targets: ParsedRevocation[]): Promise<Set<string>> {
  const owned = new Set<string>();
  for (const kind of new Set(targets.map((t) => t.kind))) {
    const rows = await tx.$queryRaw<Array<{ jwtUuid: string }>>`
      SELECT jwt_uuid::text AS "jwtUuid" FROM ${KINDS[kind].sql.metadata}
       WHERE client_id = ${clientId} AND jwt_uuid = ANY (${targets.filter((t) => t.kind === kind).map((t) => t.jti)}::uuid[])`;
    for (const r of rows) owned.add(ownedKey(kind, r.jwtUuid));
  }
  return owned;
}

/** 200 all new, 409 all already revoked, 403 all issued by other clients, 400 all failed, 207 anything mixed. */
function bulkRevocationStatus(result: BulkRevocationResult): 200 | 207 | 400 | 403 | 409 {
  if (result.newly_revoked === result.total) return 200;
  if (result.already_revoked === result.total) return 409;
  if (result.not_owned === result.total) return 403;
  if (result.failed === result.total) return 400;
  return 207;
}

/** The refusals among those statuses carry TIM's error fields beside the counts. */
const REFUSALS: Partial<Record<number, { error: string }>> = {
  400: { error: "invalid_request" },
  403: { error: "token_not_owned" },
  409: { error: "already_revoked" },
};

type BulkAnswer = BulkRevocationResult & { status: "completed"; message: string; reason?: string; error?: string };

/**
 * The answer to a bulk revocation: its status and body, TIM 2.0's (`status: "completed"`, its `message`, the
 * `reason` given) with TIM's refusal code in `error` when nothing was revoked.
 */
export function bulkRevocationAnswer(result: BulkRevocationResult, reason?: string | null): { status: number; body: BulkAnswer } {
  const status = bulkRevocationStatus(result);
  const message = `Bulk revocation completed: ${result.newly_revoked} newly revoked, ${result.already_revoked} already revoked, ${result.failed} failed`;
  const refusal = REFUSALS[status];
  return {
    status,
    body: { ...(refusal ? { error: refusal.error } : {}), status: "completed", message, ...(reason ? { reason } : {}), ...result },
  };
}

// ------------------------------------------------- log out everywhere ---

/** Tokens one request revokes at most; a subject with more answers `remaining` and the caller asks again. */
export const MAX_SUBJECT_REVOKE = 1_000;

/** POST /jwt/custom/revoke/subject, /jwt/tara/revoke/subject: every active token of one subject. */
export const subjectRevokeRequestSchema = z.object({
  subject: storableString.min(1).max(255),
  reason: storableString.trim().min(1).max(500).optional(),
});

export type SubjectRevocationResult = {
  subject: string;
  kind: TokenKind;
  /** How many active tokens this request revoked. */
  revoked: number;
  revoked_ids: string[];
  /** Active tokens of the subject another API client issued (left alone: the caller may not revoke them). */
  not_owned: number;
  /** Active tokens the caller may revoke that are left past MAX_SUBJECT_REVOKE: ask again. */
  remaining: number;
};

/*
 * The subject's active tokens (unexpired, not on the denylist); those the
 * caller may revoke ($2 owner NULL: any, else the metadata row names it) go on
 * the denylist, at most $3 of them, in jti order, and leave the allowlist. One
 * statement; the subject's (subject, issued_at) index finds its rows.
 */
const REVOKE_SUBJECT = byKind((k) =>
  prepared(
    `revoke_subject_${k.kind}`,
    `WITH live AS (
       SELECT m.jwt_uuid, m.expires_at, ($2::text IS NULL OR m.client_id IS NOT DISTINCT FROM $2::text) AS owned
         FROM ${k.table.metadata} m
        WHERE m.subject = $1::text AND m.expires_at > now()
          AND NOT EXISTS (SELECT 1 FROM ${k.table.denylist} d WHERE d.jwt_uuid = m.jwt_uuid)
     ), picked AS (
       SELECT jwt_uuid, expires_at FROM live WHERE owned ORDER BY jwt_uuid LIMIT $3::int
     ), denied AS (
       INSERT INTO ${k.table.denylist} (jwt_uuid, expires_at, reason, revoked_by)
       SELECT jwt_uuid, expires_at, $4::text, $5::text FROM picked ORDER BY jwt_uuid
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING jwt_uuid
     ), unlisted AS (DELETE FROM ${k.table.allowlist} WHERE jwt_uuid IN (SELECT jwt_uuid FROM denied))
     SELECT coalesce((SELECT array_agg(jwt_uuid::text ORDER BY jwt_uuid) FROM denied), '{}') AS revoked,
            (SELECT count(*) FROM live WHERE NOT owned)::int AS not_owned,
            (SELECT count(*) FROM live WHERE owned)::int AS owned`,
  ),
);

/**
 * Logs a subject out of every device: revokes its active tokens of `kind`
 * (with `onlyIssuedBy`, those that client issued), up to MAX_SUBJECT_REVOKE a
 * request, with the audit event in the same transaction, as a bulk
 * revocation is. Already revoked and expired tokens are not touched.
 */
export async function revokeSubjectTokens(
  kind: TokenKind,
  subject: string,
  by: Pick<Revocation, "reason" | "revokedBy" | "onlyIssuedBy">,
  audit: BulkRevocationAudit,
): Promise<SubjectRevocationResult> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    const [row] = await tx.$queryRawUnsafe<{ revoked: string[]; not_owned: number; owned: number }[]>(
      REVOKE_SUBJECT[kind].text,
      subject,
      by.onlyIssuedBy ?? null,
      MAX_SUBJECT_REVOKE,
      by.reason ?? null,
      by.revokedBy ?? null,
    );
    const revoked = row.revoked;
    for (const jti of revoked) notePending(kind, jti);
    if (revoked.length) countTokens("revoked", kind, "revoked", revoked.length);
    const result: SubjectRevocationResult = {
      subject,
      kind,
      revoked: revoked.length,
      revoked_ids: revoked,
      not_owned: row.not_owned,
      remaining: Math.max(0, row.owned - revoked.length),
    };
    await auditRevocation(tx, audit, {
      target: { kind, subject, scope: "subject", jwt_uuids: revoked },
      revoked,
      reason: by.reason,
      counts: { revoked: result.revoked, not_owned: result.not_owned, remaining: result.remaining },
    });
    return result;
  });
}

/** 200 with the counts; 403 token_not_owned when the subject's active tokens are all another client's. */
export function subjectRevocationAnswer(result: SubjectRevocationResult, reason?: string | null): { status: number; body: Record<string, unknown> } {
  const body = {
    status: "completed",
    message: `${result.revoked} active token${result.revoked === 1 ? "" : "s"} of this subject revoked${result.remaining ? `, ${result.remaining} left: ask again` : ""}`,
    ...(reason ? { reason } : {}),
    ...result,
  };
  if (result.revoked === 0 && result.not_owned > 0) {
    return {
      status: 403,
      body: {
        error: "token_not_owned",
        ...body,
        message: "The subject's active tokens were issued by other API clients; revoking them needs the scope tokens:revoke:any.",
      },
    };
  }
  return { status: 200, body };
}
