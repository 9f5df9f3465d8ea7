import { db } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import type { TokenKind } from "@/lib/tokens/kinds";
import { KINDS, TOKEN_KINDS } from "@/lib/tokens/kinds";

/** Seed 001's data-consistency checks, per token kind. */
export type HealthCheck = {
  kind: TokenKind;
  /** Denylist rows without a metadata row. */
  orphaned_denylist: number;
  /** Tokens issued more than 5 minutes in the future (clock skew). */
  future_dated: number;
  /** Tokens expired more than 7 days ago and still stored (retention not keeping up), counted up to HEALTH_COUNT_CAP. */
  expired_uncleaned: number;
  /** expired_uncleaned reached HEALTH_COUNT_CAP: there are at least that many. */
  expired_uncleaned_capped: boolean;
};

/**
 * Expired rows can be most of the table (retention keeps them 30 days by
 * default): counting them all would scan it on every dashboard view, and
 * "10,000 or more" says what the check is for.
 */
export const HEALTH_COUNT_CAP = 10_000;

export const HEALTH_CHECK_DESCRIPTIONS: Record<Exclude<keyof HealthCheck, "kind" | "expired_uncleaned_capped">, string> = {
  orphaned_denylist: "Denylist entries whose token has no metadata row",
  future_dated: "Tokens issued more than 5 minutes in the future (clock skew)",
  expired_uncleaned: "Tokens expired over 7 days ago and not yet cleaned up",
};

export async function healthChecks(client?: PrismaClient | Prisma.TransactionClient): Promise<HealthCheck[]> {
  const prisma = client ?? (await db());
  return Promise.all(
    TOKEN_KINDS.map(async (kind) => {
      const metadata = KINDS[kind].sql.metadata;
      const [row] = await prisma.$queryRaw<[{ orphaned: bigint; future: bigint; expired: bigint }]>`
        SELECT (SELECT count(*) FROM ${KINDS[kind].sql.denylist} d
                 WHERE NOT EXISTS (SELECT 1 FROM ${metadata} m WHERE m.jwt_uuid = d.jwt_uuid)) AS orphaned,
               (SELECT count(*) FROM ${metadata} m WHERE m.issued_at > now() + interval '5 minutes') AS future,
               (SELECT count(*) FROM (SELECT 1 FROM ${metadata} m WHERE m.expires_at < now() - interval '7 days'
                                        LIMIT ${HEALTH_COUNT_CAP}) e) AS expired`;
      const expired = Number(row.expired);
      return {
        kind,
        orphaned_denylist: Number(row.orphaned),
        future_dated: Number(row.future),
        expired_uncleaned: expired,
        expired_uncleaned_capped: expired >= HEALTH_COUNT_CAP,
      };
    }),
  );
}
