import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { revocationTarget, revokeByJti, type ParsedRevocation, type Revocation } from "@/lib/tokens/revoke";
import type { TokenKind } from "@/lib/tokens/kinds";
import { storableString } from "@/lib/db/storable";

export const MAX_BULK_REVOKE = 100;

/** Room for MAX_BULK_REVOKE tokens with large claim sets (100 RS256 tokens alone are about 66 KB). */
export const BULK_REVOKE_MAX_BYTES = 512 * 1024;

export const bulkRevokeRequestSchema = z.object({
  tokens: z.array(z.unknown()).min(1).max(MAX_BULK_REVOKE),
  reason: storableString.trim().min(1).max(500).optional(),
});

export type BulkRevocationResult = {
  total: number;
  newly_revoked: number;
  already_revoked: number;
  failed: number;
  newly_revoked_ids: string[];
  already_revoked_ids: string[];
  failures: { index: number; reason: string }[];
};

/** Who asked for a bulk revocation, for its audit event. */
export type BulkRevocationAudit = { actor: AuditActor; requestId?: string | null };

/**
 * Revokes up to 100 tokens: unreadable or forged ones are reported as
 * failures, the rest are denylisted in one transaction, which also writes the
 * audit event when `audit` is given. The same token twice counts once as newly
 * and then as already revoked.
 */
export async function revokeTokensInBulk(
  tokens: unknown[],
  kinds: readonly TokenKind[],
  by: Pick<Revocation, "reason" | "revokedBy">,
  audit?: BulkRevocationAudit,
): Promise<BulkRevocationResult> {
  const failures: BulkRevocationResult["failures"] = [];
  const targets: ParsedRevocation[] = [];
  for (const [index, token] of tokens.entries()) {
    try {
      targets.push(await revocationTarget(token, kinds));
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
      failures.push({ index, reason: err.reason });
    }
  }
  const newly: string[] = [];
  const already: string[] = [];
  if (targets.length) {
    const prisma = await db();
    await prisma.$transaction(async (tx) => {
      for (const target of targets) {
        const outcome = await revokeByJti(target.kind, { ...target, ...by }, tx);
        (outcome === "revoked" ? newly : already).push(target.jti);
      }
      if (audit) {
        await recordAudit(tx, {
          actor: audit.actor,
          action: "tokens.revoke",
          // `revoked`: the ones this request revoked (the audit fold skips exactly these)
          target: { jwt_uuids: [...new Set(targets.map((t) => t.jti))], revoked: newly },
          reason: by.reason,
          counts: { revoked: newly.length, already_revoked: already.length, failed: failures.length },
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
    newly_revoked_ids: newly,
    already_revoked_ids: already,
    failures,
  };
}

/** 200 all new, 409 all already revoked, 400 all failed, 207 anything mixed. */
export function bulkRevocationStatus(result: BulkRevocationResult): 200 | 207 | 400 | 409 {
  if (result.newly_revoked === result.total) return 200;
  if (result.already_revoked === result.total) return 409;
  if (result.failed === result.total) return 400;
  return 207;
}
