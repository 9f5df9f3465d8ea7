import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { revocationTarget, revokeByJti, type ParsedRevocation, type Revocation } from "@/lib/tokens/revoke";
import { KINDS, type DbTx, type TokenKind } from "@/lib/tokens/kinds";
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
        await recordAudit(tx, {
          actor: audit.actor,
          action: "tokens.revoke",
          // `revoked`: the ones this request revoked (the audit fold skips exactly these)
          target: { jwt_uuids: [...new Set(targets.map((t) => t.jti))], revoked: newly },
          reason: by.reason,
          counts: { revoked: newly.length, already_revoked: already.length, failed: failures.length, ...(notOwned ? { not_owned: notOwned } : {}) },
          requestId: audit.requestId,
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
