import type { ApiRequest } from "@/lib/http/handler";
import { z } from "zod";
import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { bearerCredential } from "@/lib/http/cookies";
import { TimError, badRequest } from "@/lib/http/errors";
import { checkToken } from "@/lib/tokens/check";
import { isUuid } from "@/lib/tokens/kinds";
import { TOKEN_STATUSES, statusCondition, tokenStatus, type TokenStatus } from "@/lib/tokens/status";
import { isoSeconds } from "@/lib/tokens/time";
import { storableDate, storableString } from "@/lib/db/storable";

const pageIndex = z.number().int().min(0).max(1_000_000);

/**
 * The list request, in TIM's names and in TIM 2.0's: its code's snake_case fields (`issued_after`, …, `jwt_name`,
 * `limit`, and `offset`, which TIM 2.0's code uses as the page number), its OpenAPI's `page`, `size` and
 * `includeRevoked`. Unknown fields are ignored (as Spring ignores them); TIM 2.0's `subject` and `includeRevoked`
 * are accepted and ignored as TIM 2.0's code ignores them (the subject is always the bearer token's).
 * Page numbers (`page`/`offset`) or TIM's `cursor` page the list, not both.
 */
export const listMineRequestSchema = z
  .object({
    status: z.enum(TOKEN_STATUSES).optional(),
    issuedAfter: storableDate.optional(),
    issuedBefore: storableDate.optional(),
    expiresAfter: storableDate.optional(),
    expiresBefore: storableDate.optional(),
    jwtName: storableString.min(1).max(128).optional(),
    issued_after: storableDate.optional(),
    issued_before: storableDate.optional(),
    expires_after: storableDate.optional(),
    expires_before: storableDate.optional(),
    jwt_name: storableString.min(1).max(128).optional(),
    limit: z.number().int().min(1).max(100).optional(),
    size: z.number().int().min(1).max(100).optional(),
    page: pageIndex.optional(),
    offset: pageIndex.optional(),
    cursor: storableString.max(200).optional(),
    subject: z.unknown().optional(),
    includeRevoked: z.boolean().optional(),
  })
  .superRefine((r, ctx) => {
    if (r.cursor !== undefined && (r.page !== undefined || r.offset !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["cursor"], message: "page through the list by cursor or by page number (page/offset), not both" });
    }
  })
  .transform((r) => ({
    status: r.status,
    issuedAfter: r.issuedAfter ?? r.issued_after,
    issuedBefore: r.issuedBefore ?? r.issued_before,
    expiresAfter: r.expiresAfter ?? r.expires_after,
    expiresBefore: r.expiresBefore ?? r.expires_before,
    jwtName: r.jwtName ?? r.jwt_name,
    limit: r.size ?? r.limit ?? 20,
    page: r.page ?? r.offset,
    cursor: r.cursor,
  }));
export type ListMineRequest = z.infer<typeof listMineRequestSchema>;

export type MyToken = {
  /** TIM 2.0's name for the token id. */
  jti: string;
  jwt_uuid: string;
  jwt_name: string | null;
  subject: string | null;
  /** Comma-joined, as TIM 2.0 answers; `audiences` lists them. */
  audience: string | null;
  audiences: string[];
  issuer: string | null;
  issued_at: string;
  expires_at: string;
  created_at: string;
  status: TokenStatus;
  revoked_at: string | null;
  revocation_reason: string | null;
  original_jwt_uuid: string;
  supersedes: string | null;
  claim_keys: string[];
  /** TIM 2.0 answers `claims: null` (it never filled it); so does TIM (`claim_keys` names them). */
  claims: null;
};

type Row = {
  id: string;
  jwt_uuid: string;
  jwt_name: string | null;
  subject: string | null;
  audience: string | null;
  issuer: string | null;
  issued_at: Date;
  expires_at: Date;
  created_at: Date;
  original_jwt_uuid: string;
  supersedes: string | null;
  claim_keys: string;
  denylisted_at: Date | null;
  reason: string | null;
};

type Cursor = { t: string; id: string };

function encodeCursor(row: Row): string {
  return Buffer.from(JSON.stringify({ t: row.issued_at.toISOString(), id: row.id } satisfies Cursor)).toString("base64url");
}

function decodeCursor(cursor: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Cursor;
    if (isUuid(c.id) && !Number.isNaN(Date.parse(c.t))) return c;
  } catch {
    // reported below
  }
  throw badRequest("cursor is not one this API returned.");
}

/** Who lists: the subject of the bearer token, and the token (whose issuing client bounds the list). */
export type Bearer = { subject: string; jti: string };

/** The caller's own bearer token: a valid, unrevoked custom token with a subject. */
export async function bearerOf(req: ApiRequest): Promise<Bearer> {
  const presented = bearerCredential(req);
  if (!presented) {
    throw new TimError("invalid_token", "Send your token as Authorization: Bearer <token>.", {}, { "www-authenticate": 'Bearer realm="TIM"' });
  }
  const { payload } = await checkToken(presented, { kinds: ["custom"] });
  if (typeof payload.sub !== "string") throw new TimError("no_subject", "This token has no subject to list tokens for.");
  return { subject: payload.sub, jti: payload.jti };
}

/**
 * The subject's custom tokens that the bearer token's own API client issued
 * (any client may mint a token for any `sub`, so the subject alone does not
 * entitle its holder to another client's tokens), newest first, with their
 * status and keyset pagination.
 */
export async function listMyTokens({ subject, jti }: Bearer, filters: ListMineRequest) {
  const conditions: Prisma.Sql[] = [
    Prisma.sql`m.subject = ${subject}`,
    // Both evaluated once per query (uncorrelated); without the bearer's row nothing is listed.
    Prisma.sql`m.client_id IS NOT DISTINCT FROM (SELECT b.client_id FROM custom.jwt_metadata b WHERE b.jwt_uuid = ${jti}::uuid)`,
    Prisma.sql`EXISTS (SELECT 1 FROM custom.jwt_metadata b WHERE b.jwt_uuid = ${jti}::uuid)`,
  ];
  if (filters.status) conditions.push(statusCondition(filters.status, Prisma.sql`custom.denylist`, new Date()));
  if (filters.issuedAfter) conditions.push(Prisma.sql`m.issued_at >= ${filters.issuedAfter}`);
  if (filters.issuedBefore) conditions.push(Prisma.sql`m.issued_at < ${filters.issuedBefore}`);
  if (filters.expiresAfter) conditions.push(Prisma.sql`m.expires_at >= ${filters.expiresAfter}`);
  if (filters.expiresBefore) conditions.push(Prisma.sql`m.expires_at < ${filters.expiresBefore}`);
  if (filters.jwtName) conditions.push(Prisma.sql`m.jwt_name = ${filters.jwtName}`);
  const where = Prisma.join(conditions, " AND ");
  const after = filters.cursor
    ? (() => {
        const c = decodeCursor(filters.cursor);
        return Prisma.sql`AND (m.issued_at, m.id) < (${new Date(c.t)}, ${c.id}::uuid)`;
      })()
    : Prisma.empty;
  // TIM 2.0's page numbers: the page-th page of `limit` tokens.
  const skipped = (filters.page ?? 0) * filters.limit;
  const skip = filters.page ? Prisma.sql`OFFSET ${skipped}` : Prisma.empty;

  const prisma = await db();
  const [rows, [{ total }]] = await Promise.all([
    prisma.$queryRaw<Row[]>`
      SELECT m.id::text, m.jwt_uuid::text, m.jwt_name, m.subject, m.audience, m.issuer, m.issued_at, m.expires_at,
             m.created_at, m.original_jwt_uuid::text, m.supersedes::text, m.claim_keys, d.denylisted_at, d.reason
        FROM custom.jwt_metadata m
        LEFT JOIN custom.denylist d ON d.jwt_uuid = m.jwt_uuid
       WHERE ${where} ${after}
       ORDER BY m.issued_at DESC, m.id DESC
       LIMIT ${filters.limit + 1} ${skip}`,
    prisma.$queryRaw<{ total: number }[]>`
      SELECT count(*)::int AS total
        FROM custom.jwt_metadata m
        LEFT JOIN custom.denylist d ON d.jwt_uuid = m.jwt_uuid
       WHERE ${where}`,
  ]);
  const hasMore = rows.length > filters.limit;
  const pageRows = rows.slice(0, filters.limit);
  const now = Date.now();
  const tokens: MyToken[] = pageRows.map((r) => ({
    jti: r.jwt_uuid,
    jwt_uuid: r.jwt_uuid,
    jwt_name: r.jwt_name,
    subject: r.subject,
    audience: r.audience || null,
    audiences: r.audience ? r.audience.split(",") : [],
    issuer: r.issuer,
    issued_at: isoSeconds(r.issued_at),
    expires_at: isoSeconds(r.expires_at),
    created_at: r.created_at.toISOString(),
    status: tokenStatus(r.expires_at, r.denylisted_at ? { reason: r.reason } : null, now),
    revoked_at: r.denylisted_at ? r.denylisted_at.toISOString() : null,
    revocation_reason: r.reason,
    original_jwt_uuid: r.original_jwt_uuid,
    supersedes: r.supersedes,
    claim_keys: r.claim_keys ? r.claim_keys.split(",") : [],
    claims: null,
  }));
  const page = filters.cursor ? null : (filters.page ?? 0);
  return {
    subject,
    tokens,
    pagination: {
      total,
      limit: filters.limit,
      returned: tokens.length,
      has_more: hasMore,
      next_cursor: hasMore ? encodeCursor(pageRows[pageRows.length - 1]) : null,
      // TIM 2.0's: the page number (null when paging by cursor), its size, the pages, the tokens skipped
      page,
      size: filters.limit,
      total_pages: Math.ceil(total / filters.limit),
      offset: page === null ? null : skipped,
    },
  };
}
