import { Prisma } from "@/lib/generated/prisma/client";

/**
 * A token's one status, wherever TIM reports it (introspection extras, list/me and /me, reports,
 * token detail, exports, the console):
 *  - `revoked`: on its denylist for any reason but an extension;
 *  - `superseded`: revoked by an extension (its denylist row's reason is SUPERSEDED_REASON,
 *    lib/tokens/extend.ts): a newer version of it is the one in use;
 *  - `expired`: past its expiry and not revoked (revocation wins over expiry: seed 003);
 *  - `active`: none of these.
 */
export const TOKEN_STATUSES = ["active", "expired", "revoked", "superseded"] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/** The denylist reason an extension writes for the version it replaces. */
export const SUPERSEDED_REASON = "extended";

/** The token's denylist row, as far as its status goes (null or undefined: not on the denylist). */
export type Denylisting = { reason: string | null } | null | undefined;

export function tokenStatus(expiresAt: Date, denylisted: Denylisting, now = Date.now()): TokenStatus {
  if (denylisted) return denylisted.reason === SUPERSEDED_REASON ? "superseded" : "revoked";
  return expiresAt.getTime() <= now ? "expired" : "active";
}

/**
 * The status as an SQL condition on a metadata row `m.jwt_uuid` of a kind whose denylist is `denylist`;
 * `now` fixes what active and expired mean for the whole query. The one SQL form of tokenStatus.
 */
export function statusCondition(status: TokenStatus, denylist: Prisma.Sql, now: Date): Prisma.Sql {
  const listed = (reason: Prisma.Sql) => Prisma.sql`EXISTS (SELECT 1 FROM ${denylist} d0 WHERE d0.jwt_uuid = m.jwt_uuid${reason})`;
  const any = listed(Prisma.empty);
  switch (status) {
    case "revoked":
      return listed(Prisma.sql` AND d0.reason IS DISTINCT FROM ${SUPERSEDED_REASON}`);
    case "superseded":
      return listed(Prisma.sql` AND d0.reason = ${SUPERSEDED_REASON}`);
    case "active":
      return Prisma.sql`m.expires_at > ${now}::timestamptz AND NOT ${any}`;
    case "expired":
      return Prisma.sql`m.expires_at <= ${now}::timestamptz AND NOT ${any}`;
  }
}
