import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { badRequest } from "@/lib/http/errors";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { KINDS, TOKEN_KINDS, isUuid } from "@/lib/tokens/kinds";
import { revocationTarget, revokeByJti, type ParsedRevocation } from "@/lib/tokens/revoke";
import { storableString } from "@/lib/db/storable";

export const MAX_LISTED = 1_000;

export const listedRevocationSchema = z.object({
  /** jtis (UUIDs) and/or compact tokens, separated by whitespace, commas or new lines. */
  entries: z
    .string()
    .max(5_000_000)
    .transform((s) => [...new Set(s.split(/[\s,;]+/).filter(Boolean))])
    .pipe(z.array(z.string().max(16_384)).min(1, "paste at least one jti or token").max(MAX_LISTED, `at most ${MAX_LISTED} entries at once`)),
  reason: storableString.trim().min(3, "give a reason (at least 3 characters)").max(500),
});
export type ListedRevocationInput = z.input<typeof listedRevocationSchema>;

export type ListedRevocationResult = {
  revoked: string[];
  alreadyRevoked: string[];
  notFound: string[];
  invalid: { entry: string; reason: string }[];
};

/** Where a jti lives: its kind and expiry from the metadata tables. */
async function targetByJti(jti: string): Promise<ParsedRevocation | undefined> {
  const prisma = await db();
  for (const kind of TOKEN_KINDS) {
    const [row] = await prisma.$queryRaw<Array<{ expires_at: Date }>>`
      SELECT expires_at FROM ${KINDS[kind].sql.metadata} WHERE jwt_uuid = ${jti}::uuid`;
    if (row) return { kind, jti, expiresAt: row.expires_at };
  }
  return undefined;
}

/** A short, non-secret label for a pasted entry in results (never the whole token). */
const label = (entry: string) => (entry.length <= 36 ? entry : `${entry.slice(0, 12)}…`);

/**
 * Revokes tokens named by jti or pasted whole (signature checked), in one
 * transaction with one audit event listing every jti. Already revoked tokens
 * are left as they are and reported.
 */
export async function revokeListed(
  input: ListedRevocationInput & { actor: AuditActor; revokedBy: string; requestId?: string | null },
): Promise<ListedRevocationResult> {
  const parsed = listedRevocationSchema.safeParse(input);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => i.message).join("; "));
  const { entries, reason } = parsed.data;

  const result: ListedRevocationResult = { revoked: [], alreadyRevoked: [], notFound: [], invalid: [] };
  const targets = new Map<string, ParsedRevocation>();
  for (const entry of entries) {
    if (isUuid(entry)) {
      const target = await targetByJti(entry.toLowerCase());
      if (target) targets.set(target.jti, target);
      else result.notFound.push(entry);
      continue;
    }
    try {
      const target = await revocationTarget(entry, TOKEN_KINDS);
      targets.set(target.jti, target);
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
      result.invalid.push({ entry: label(entry), reason: err.reason });
    }
  }
  if (targets.size === 0) return result;

  await (await db()).$transaction(async (tx) => {
    for (const target of targets.values()) {
      const outcome = await revokeByJti(target.kind, { ...target, reason, revokedBy: input.revokedBy }, tx);
      (outcome === "revoked" ? result.revoked : result.alreadyRevoked).push(target.jti);
    }
    await recordAudit(tx, {
      actor: input.actor,
      action: "tokens.revoke",
      target: { jwt_uuids: [...targets.keys()] },
      reason,
      counts: {
        revoked: result.revoked.length,
        already_revoked: result.alreadyRevoked.length,
        not_found: result.notFound.length,
        invalid: result.invalid.length,
      },
      requestId: input.requestId,
    });
  });
  return result;
}
