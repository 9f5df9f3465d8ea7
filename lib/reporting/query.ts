import { Prisma } from "@/lib/generated/prisma/client";
import { byKind, type TokenKind } from "@/lib/tokens/kinds";
import type { PageRequest, TextMatch, TokenFilters } from "@/lib/reporting/filters";
import { statusCondition } from "@/lib/tokens/status";

/** The TARA login columns reports show; a kind without one reports it as NULL. */
const REPORTED_LOGIN_COLUMNS = ["auth_method", "level_of_assurance", "session_id"] as const;

/**
 * SQL fragments for searching token metadata of one kind, from the kind's
 * description. Everything is a tagged template: table names are fixed
 * fragments per kind, values are bound parameters.
 */
const SOURCES = byKind((k) => ({
  ...k.sql,
  loginColumns: Prisma.raw(REPORTED_LOGIN_COLUMNS.map((c) => (k.ownColumns.some((o) => o.column === c) ? `m.${c}` : `NULL::text AS ${c}`)).join(", ")),
}));

const SORT_COLUMNS = {
  issued_at: { inner: Prisma.sql`m.issued_at`, outer: Prisma.sql`u.issued_at` },
  expires_at: { inner: Prisma.sql`m.expires_at`, outer: Prisma.sql`u.expires_at` },
};

/** Text for LIKE that matches itself only: its wildcards and the escape character escaped (backslash, LIKE's default). */
export function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

/** A subject or name condition; prefix and contains are written so that their indexes apply (see TEXT_MATCHES). */
function textCondition(column: Prisma.Sql, value: string, match: TextMatch = "exact"): Prisma.Sql {
  if (match === "prefix") return Prisma.sql`${column} LIKE ${`${likeEscaped(value)}%`}`;
  if (match === "contains") return Prisma.sql`${column} ILIKE ${`%${likeEscaped(value)}%`}`;
  return Prisma.sql`${column} = ${value}`;
}

/** Conditions on `m` (metadata) for one kind; `now` fixes what active and expired mean for the whole query. */
export function whereFor(kind: TokenKind, f: TokenFilters, now: Date): Prisma.Sql {
  const c: Prisma.Sql[] = [];
  if (f.subject) c.push(textCondition(Prisma.sql`m.subject`, f.subject, f.subject_match));
  if (f.jwt_name) c.push(textCondition(Prisma.sql`m.jwt_name`, f.jwt_name, f.name_match));
  if (f.address) c.push(Prisma.sql`m.client_address <<= ${f.address}::inet`);
  if (f.reason) {
    c.push(Prisma.sql`EXISTS (SELECT 1 FROM ${SOURCES[kind].denylist} d1 WHERE d1.jwt_uuid = m.jwt_uuid AND d1.reason ILIKE ${`%${likeEscaped(f.reason)}%`})`);
  }
  if (f.issuer) c.push(Prisma.sql`m.issuer = ${f.issuer}`);
  if (f.client_id) c.push(Prisma.sql`m.client_id = ${f.client_id}`);
  if (f.audience) c.push(Prisma.sql`${f.audience}::text = ANY (string_to_array(m.audience, ','))`);
  if (f.claim_keys?.length) {
    c.push(Prisma.sql`string_to_array(m.claim_keys, ',') @> ARRAY[${Prisma.join(f.claim_keys)}]::text[]`);
  }
  if (f.issued_from) c.push(Prisma.sql`m.issued_at >= ${f.issued_from}::timestamptz`);
  if (f.issued_to) c.push(Prisma.sql`m.issued_at <= ${f.issued_to}::timestamptz`);
  if (f.expires_from) c.push(Prisma.sql`m.expires_at >= ${f.expires_from}::timestamptz`);
  if (f.expires_to) c.push(Prisma.sql`m.expires_at <= ${f.expires_to}::timestamptz`);
  if (kind === "tara" && f.auth_method) c.push(Prisma.sql`m.auth_method = ${f.auth_method}`);
  if (kind === "tara" && f.loa) c.push(Prisma.sql`m.level_of_assurance = ${f.loa}`);
  if (f.status) c.push(statusCondition(f.status, SOURCES[kind].denylist, now));
  return c.length ? Prisma.sql`WHERE ${Prisma.join(c, " AND ")}` : Prisma.empty;
}

export type Keyset = { sortKey: string; id: string };

/** One kind's page: rows after the keyset in sort order, at most `limit`. */
export function pageQuery(
  kind: TokenKind,
  f: TokenFilters,
  page: Pick<PageRequest, "sort" | "order">,
  after: Keyset | undefined,
  limit: number,
  now: Date,
  withClaims: boolean,
): Prisma.Sql {
  const src = SOURCES[kind];
  const col = SORT_COLUMNS[page.sort].inner;
  const where = whereFor(kind, f, now);
  const keyset = after
    ? page.order === "desc"
      ? Prisma.sql`(${col}, m.id) < (${after.sortKey}::timestamptz, ${after.id}::uuid)`
      : Prisma.sql`(${col}, m.id) > (${after.sortKey}::timestamptz, ${after.id}::uuid)`
    : undefined;
  const fullWhere = keyset ? (where === Prisma.empty ? Prisma.sql`WHERE ${keyset}` : Prisma.sql`${where} AND ${keyset}`) : where;
  const order = page.order === "desc" ? Prisma.sql`${col} DESC, m.id DESC` : Prisma.sql`${col} ASC, m.id ASC`;
  const claims = withClaims ? Prisma.sql`m.claims_json` : Prisma.sql`NULL::jsonb AS claims_json`;
  return Prisma.sql`
    SELECT ${kind}::text AS kind, m.id, m.jwt_uuid, m.token_type, m.jwt_name, m.subject, m.issuer, m.audience,
           m.client_id, m.claim_keys, m.issued_at, m.expires_at, m.created_at, m.original_jwt_uuid, m.supersedes, m.imported_from,
           host(m.client_address) AS client_address, m.user_agent,
           g.last_used_at, COALESCE(g.use_count, 0) AS use_count, ${src.loginColumns},
           d.denylisted_at AS revoked_at, d.reason AS revocation_reason, d.revoked_by,
           to_json(${col}) #>> '{}' AS sort_key, ${claims}
      FROM ${src.metadata} m
      LEFT JOIN ${src.denylist} d ON d.jwt_uuid = m.jwt_uuid
      LEFT JOIN ${src.usage} g ON g.jwt_uuid = m.jwt_uuid
      ${fullWhere}
     ORDER BY ${order}
     LIMIT ${limit}`;
}

/** Both kinds' pages merged in sort order. */
export function mergedPageQuery(parts: Prisma.Sql[], page: Pick<PageRequest, "sort" | "order">, limit: number): Prisma.Sql {
  if (parts.length === 1) return parts[0];
  const col = SORT_COLUMNS[page.sort].outer;
  const order = page.order === "desc" ? Prisma.sql`${col} DESC, u.id DESC` : Prisma.sql`${col} ASC, u.id ASC`;
  const union = Prisma.join(
    parts.map((p) => Prisma.sql`(${p})`),
    " UNION ALL ",
  );
  return Prisma.sql`SELECT * FROM (${union}) u ORDER BY ${order} LIMIT ${limit}`;
}

export type TokenRowSql = {
  kind: TokenKind;
  id: string;
  jwt_uuid: string;
  token_type: string;
  jwt_name: string | null;
  subject: string | null;
  issuer: string | null;
  audience: string | null;
  client_id: string | null;
  claim_keys: string;
  issued_at: Date;
  expires_at: Date;
  created_at: Date;
  original_jwt_uuid: string;
  supersedes: string | null;
  last_used_at: Date | null;
  use_count: number;
  auth_method: string | null;
  level_of_assurance: string | null;
  session_id: string | null;
  imported_from: string | null;
  client_address: string | null;
  user_agent: string | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  revoked_by: string | null;
  sort_key: string;
  claims_json: unknown;
};
