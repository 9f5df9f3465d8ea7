import { badRequest } from "@/lib/http/errors";
import { timedQuery } from "@/lib/metrics/registry";
import { kindsFor, type PageRequest, type TokenFilters } from "@/lib/reporting/filters";
import { mergedPageQuery, pageQuery, type Keyset, type TokenRowSql } from "@/lib/reporting/query";
import { rawRows } from "@/lib/reporting/raw-rows";
import { tokenStatus, type TokenStatus } from "@/lib/tokens/status";
import { isUuid, type TokenKind } from "@/lib/tokens/kinds";

/** One token as the reports show it (API JSON, export rows, console tables). */
export type TokenReportRow = {
  kind: TokenKind;
  token_type: string;
  jwt_uuid: string;
  id: string;
  jwt_name: string | null;
  subject: string | null;
  issuer: string | null;
  audience: string | null;
  client_id: string | null;
  claim_keys: string;
  status: TokenStatus;
  issued_at: string;
  expires_at: string;
  created_at: string;
  revoked_at: string | null;
  revocation_reason: string | null;
  revoked_by: string | null;
  original_jwt_uuid: string;
  supersedes: string | null;
  last_used_at: string | null;
  use_count: number;
  auth_method: string | null;
  level_of_assurance: string | null;
  session_id: string | null;
  /** "tim2": imported from TIM 2.0, which recorded no claims (`claims` is null: not recorded, not empty); null: issued by TIM. */
  imported_from: string | null;
  /** Where the token came from (lib/tokens/origin.ts): the asking client's address and User-Agent; null when not recorded. */
  client_address: string | null;
  user_agent: string | null;
  claims?: unknown;
};

export type TokenPage = {
  items: TokenReportRow[];
  /** Opaque; pass as `cursor` for the next page. null on the last page. */
  next_cursor: string | null;
  /** Opaque; pass as `cursor` for the page before this one. null on the first page. */
  prev_cursor: string | null;
  sort: PageRequest["sort"];
  order: PageRequest["order"];
  limit: number;
};

/** `before`: the cursor names the rows before its keyset (a previous page), not those after it. */
type CursorState = Keyset & { sort: string; order: string; before?: boolean };

export function encodeCursor(state: CursorState): string {
  const fields: unknown[] = [state.sort, state.order, state.sortKey, state.id];
  if (state.before) fields.push("before");
  return Buffer.from(JSON.stringify(fields)).toString("base64url");
}

function decodeCursor(cursor: string, page: PageRequest): Keyset & { before: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw badRequest("cursor is not one this API returned.");
  }
  if (!Array.isArray(parsed) || (parsed.length !== 4 && parsed.length !== 5)) throw badRequest("cursor is not one this API returned.");
  const [sort, order, sortKey, id, direction] = parsed as unknown[];
  if (typeof sortKey !== "string" || Number.isNaN(Date.parse(sortKey)) || !isUuid(id) || (parsed.length === 5 && direction !== "before")) {
    throw badRequest("cursor is not one this API returned.");
  }
  if (sort !== page.sort || order !== page.order) {
    throw badRequest("cursor belongs to a different sort order; start again without a cursor.");
  }
  return { sortKey, id, before: direction === "before" };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toReportRow(r: TokenRowSql, now: number, withClaims: boolean): TokenReportRow {
  const row: TokenReportRow = {
    kind: r.kind,
    token_type: r.token_type,
    jwt_uuid: r.jwt_uuid,
    id: r.id,
    jwt_name: r.jwt_name,
    subject: r.subject,
    issuer: r.issuer,
    audience: r.audience,
    client_id: r.client_id,
    claim_keys: r.claim_keys,
    status: tokenStatus(r.expires_at, r.revoked_at ? { reason: r.revocation_reason } : null, now),
    issued_at: r.issued_at.toISOString(),
    expires_at: r.expires_at.toISOString(),
    created_at: r.created_at.toISOString(),
    revoked_at: iso(r.revoked_at),
    revocation_reason: r.revocation_reason,
    revoked_by: r.revoked_by,
    original_jwt_uuid: r.original_jwt_uuid,
    supersedes: r.supersedes,
    last_used_at: iso(r.last_used_at),
    use_count: Number(r.use_count),
    auth_method: r.auth_method,
    level_of_assurance: r.level_of_assurance,
    session_id: r.session_id,
    imported_from: r.imported_from,
    client_address: r.client_address,
    user_agent: r.user_agent,
  };
  if (withClaims) row.claims = r.claims_json;
  return row;
}

/** Rows after `after` in sort order (keyset), with their keyset for the next call. */
export async function fetchTokenBatch(
  filters: TokenFilters,
  page: Pick<PageRequest, "sort" | "order">,
  after: Keyset | undefined,
  limit: number,
  options: { withClaims?: boolean; now?: Date } = {},
): Promise<{ rows: TokenRowSql[]; last: Keyset | undefined }> {
  const now = options.now ?? new Date();
  const parts = kindsFor(filters).map((kind) => pageQuery(kind, filters, page, after, limit, now, options.withClaims ?? false));
  const rows = await rawRows<TokenRowSql>(mergedPageQuery(parts, page, limit));
  const tail = rows[rows.length - 1];
  return { rows, last: tail ? { sortKey: tail.sort_key, id: tail.id } : undefined };
}

const FLIPPED = { asc: "desc", desc: "asc" } as const;

/**
 * One page of matching tokens, custom and TARA merged, keyset-paginated:
 * rows issued after the first page was read never shift later pages. A
 * previous page (a `before` cursor) is read in the opposite order from the
 * current page's first row, and turned round.
 */
export async function searchTokens(filters: TokenFilters, page: PageRequest): Promise<TokenPage> {
  const cursor = page.cursor ? decodeCursor(page.cursor, page) : undefined;
  return timedQuery("search", async () => {
    const now = new Date();
    const order = cursor?.before ? FLIPPED[page.order] : page.order;
    // One row more than asked tells whether a further page (next, or for a previous page: an earlier one) exists.
    const { rows } = await fetchTokenBatch(filters, { sort: page.sort, order }, cursor, page.limit + 1, { now });
    const items = rows.slice(0, page.limit);
    const further = rows.length > page.limit;
    if (cursor?.before) items.reverse();
    const [first, last] = [items[0], items[items.length - 1]];
    const keysetOf = (r: TokenRowSql, before: boolean) => encodeCursor({ sort: page.sort, order: page.order, sortKey: r.sort_key, id: r.id, before });
    const hasNext = cursor?.before ? true : further;
    const hasPrev = cursor?.before ? further : cursor !== undefined;
    return {
      items: items.map((r) => toReportRow(r, now.getTime(), false)),
      next_cursor: hasNext && last ? keysetOf(last, false) : null,
      prev_cursor: hasPrev && first ? keysetOf(first, true) : null,
      sort: page.sort,
      order: page.order,
      limit: page.limit,
    };
  });
}
