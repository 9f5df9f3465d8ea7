import { db } from "@/lib/db/client";
import { storableString } from "@/lib/db/storable";
import { Prisma } from "@/lib/generated/prisma/client";
import { badRequest } from "@/lib/http/errors";
import { describeZodError } from "@/lib/http/zod-messages";
import { KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";
import { tokenStatus, type TokenStatus } from "@/lib/tokens/status";

/**
 * One subject's tokens at a glance (issue 17, seed 002's `token_statistics`):
 * how many are active, revoked, superseded (revoked by an extension) and
 * expired, per kind, from the view tim.token_statistics (migration
 * 20261207210000), and its most recent tokens. Revocations and supersessions
 * are counted apart: an extension is no revocation.
 */

/** A subject as the path names it: what a token's `sub` may be (lib/tokens/generate.ts TOKEN_LIMITS). */
export const subjectSchema = storableString.min(1, "name a subject").max(255, "a subject has at most 255 characters");

export function parseSubject(value: unknown): string {
  const parsed = subjectSchema.safeParse(value);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data;
}

export type SubjectCounts = {
  active: number;
  revoked: number;
  superseded: number;
  expired: number;
  total: number;
  last_issued_at: string | null;
  last_used_at: string | null;
  /** Distinct client addresses the subject's tokens came from (tokens issued before TIM recorded them have none). */
  distinct_addresses: number;
};

export type SubjectStatistics = { subject: string; kinds: Record<TokenKind, SubjectCounts>; all: SubjectCounts };

const empty = (): SubjectCounts => ({
  active: 0,
  revoked: 0,
  superseded: 0,
  expired: 0,
  total: 0,
  last_issued_at: null,
  last_used_at: null,
  distinct_addresses: 0,
});

type ViewRow = {
  kind: TokenKind;
  active: bigint | number;
  revoked: bigint | number;
  superseded: bigint | number;
  expired: bigint | number;
  total: bigint | number;
  last_issued_at: Date | null;
  last_used_at: Date | null;
  distinct_addresses: bigint | number;
};

const later = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a > b ? a : b);

export async function subjectStatistics(subject: string): Promise<SubjectStatistics> {
  const prisma = await db();
  const rows = await prisma.$queryRaw<ViewRow[]>`
    SELECT kind, active, revoked, superseded, expired, total, last_issued_at, last_used_at, distinct_addresses
      FROM tim.token_statistics WHERE subject = ${subject}`;
  const kinds = { custom: empty(), tara: empty() } as Record<TokenKind, SubjectCounts>;
  for (const r of rows) {
    kinds[r.kind] = {
      active: Number(r.active),
      revoked: Number(r.revoked),
      superseded: Number(r.superseded),
      expired: Number(r.expired),
      total: Number(r.total),
      last_issued_at: r.last_issued_at?.toISOString() ?? null,
      last_used_at: r.last_used_at?.toISOString() ?? null,
      distinct_addresses: Number(r.distinct_addresses),
    };
  }
  const all = empty();
  for (const k of TOKEN_KINDS) {
    const c = kinds[k];
    all.active += c.active;
    all.revoked += c.revoked;
    all.superseded += c.superseded;
    all.expired += c.expired;
    all.total += c.total;
    all.last_issued_at = later(all.last_issued_at, c.last_issued_at);
    all.last_used_at = later(all.last_used_at, c.last_used_at);
  }
  // Addresses are not summed across kinds (one address may have sent both): counted over both at once.
  const perKind = TOKEN_KINDS.map((k) => Prisma.sql`SELECT client_address FROM ${KINDS[k].sql.metadata} WHERE subject = ${subject}`);
  const [addresses] = await prisma.$queryRaw<[{ n: bigint | number }]>`
    SELECT count(DISTINCT client_address) AS n FROM (${Prisma.join(perKind, " UNION ALL ")}) a`;
  all.distinct_addresses = Number(addresses.n);
  return { subject, kinds, all };
}

export type SubjectToken = {
  kind: TokenKind;
  jwtUuid: string;
  jwtName: string | null;
  clientId: string | null;
  issuedAt: Date;
  expiresAt: Date;
  status: TokenStatus;
  revocationReason: string | null;
};

export const RECENT_SUBJECT_TOKENS = 20;

/** The subject's most recent tokens of both kinds, newest first. */
export async function recentSubjectTokens(subject: string, limit = RECENT_SUBJECT_TOKENS): Promise<SubjectToken[]> {
  const prisma = await db();
  const perKind = TOKEN_KINDS.map(
    (kind) => Prisma.sql`(SELECT ${kind}::text AS kind, m.jwt_uuid::text AS jwt_uuid, m.jwt_name, m.client_id, m.issued_at, m.expires_at,
            d.jwt_uuid IS NOT NULL AS revoked, d.reason
       FROM ${KINDS[kind].sql.metadata} m LEFT JOIN ${KINDS[kind].sql.denylist} d ON d.jwt_uuid = m.jwt_uuid
      WHERE m.subject = ${subject} ORDER BY m.issued_at DESC LIMIT ${limit})`,
  );
  const rows = await prisma.$queryRaw<
    {
      kind: TokenKind;
      jwt_uuid: string;
      jwt_name: string | null;
      client_id: string | null;
      issued_at: Date;
      expires_at: Date;
      revoked: boolean;
      reason: string | null;
    }[]
  >`SELECT * FROM (${Prisma.join(perKind, " UNION ALL ")}) t ORDER BY t.issued_at DESC, t.jwt_uuid LIMIT ${limit}`;
  const now = Date.now();
  return rows.map((r) => {
    return {
      kind: r.kind,
      jwtUuid: r.jwt_uuid,
      jwtName: r.jwt_name,
      clientId: r.client_id,
      issuedAt: r.issued_at,
      expiresAt: r.expires_at,
      status: tokenStatus(r.expires_at, r.revoked ? { reason: r.reason } : null, now),
      revocationReason: r.revoked ? r.reason : null,
    };
  });
}
