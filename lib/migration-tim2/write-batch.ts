import { Prisma } from "@/lib/generated/prisma/client";
import { IMPORT_SOURCES, KINDS, type DbTx } from "@/lib/tokens/kinds";
import type { SourceDenylistRow, SourceMetadataRow, SourceRow } from "@/lib/migration-tim2/read-source";
import type { SourceTable } from "@/lib/migration-tim2/source-layout";

/** Why a source row was not imported. */
export const SKIP_REASONS = {
  already_imported: "already in TIM (an earlier run imported it, or TIM has a row of that jwt_uuid, archived ones included)",
  no_positive_lifetime: "expires_at is not after issued_at (TIM keeps only tokens with a positive lifetime)",
  incomplete: "a column TIM needs is NULL (jwt_uuid, claim_keys, issued_at or expires_at)",
  conflict: "another row holds its id or its supersedes (a second successor of one version, or the jwt_uuid twice in TIM 2.0)",
} as const;
export type SkipReason = keyof typeof SKIP_REASONS;

export type Counts = { read: number; imported: number; skipped: Partial<Record<SkipReason, number>> };

export const emptyCounts = (): Counts => ({ read: 0, imported: 0, skipped: {} });

export function addCounts(a: Counts, b: Counts): Counts {
  const skipped: Counts["skipped"] = { ...a.skipped };
  for (const [k, v] of Object.entries(b.skipped) as [SkipReason, number][]) skipped[k] = (skipped[k] ?? 0) + v;
  return { read: a.read + b.read, imported: a.imported + b.imported, skipped };
}

export const skippedTotal = (c: Counts) => Object.values(c.skipped).reduce((s, n) => s + (n ?? 0), 0);

/** Who the import records as having revoked what TIM 2.0 revoked (denylist revoked_by; a system job in the audit trail). */
export const IMPORT_REVOKED_BY = "import:tim2";

export type WriteOptions = {
  /** The TIM API client recorded on imported rows (client_id): the client that may extend and revoke them. */
  clientId: string | null;
};

function skip(counts: Counts, reason: SkipReason, n = 1): void {
  if (n > 0) counts.skipped[reason] = (counts.skipped[reason] ?? 0) + n;
}

/**
 * Writes one batch of source rows into TIM inside `tx`, inserting only
 * (metadata rows are insert-only; an existing row is never changed):
 * metadata rows marked imported_from = 'tim2', without claims_json and
 * token_hash (TIM 2.0 stored neither); denylist rows as TIM 2.0 recorded
 * them, revoked_by 'import:tim2'. A row already in TIM is skipped, so a
 * second run imports nothing twice.
 */
export async function writeBatch(tx: DbTx, table: SourceTable, rows: SourceRow[], opts: WriteOptions): Promise<Counts> {
  return table.what === "metadata" ? writeMetadata(tx, table, rows as SourceMetadataRow[], opts) : writeDenylist(tx, table, rows as SourceDenylistRow[]);
}

async function existing(tx: DbTx, tables: Prisma.Sql[], jtis: string[]): Promise<Set<string>> {
  if (jtis.length === 0) return new Set();
  const list = JSON.stringify(jtis);
  const parts = tables.map(
    (t) => Prisma.sql`SELECT jwt_uuid::text AS jwt_uuid FROM ${t} WHERE jwt_uuid IN (SELECT v::uuid FROM jsonb_array_elements_text(${list}::jsonb) AS e(v))`,
  );
  const found = await tx.$queryRaw<Array<{ jwt_uuid: string }>>(Prisma.join(parts, " UNION "));
  return new Set(found.map((r) => r.jwt_uuid));
}

async function writeMetadata(tx: DbTx, table: SourceTable, rows: SourceMetadataRow[], opts: WriteOptions): Promise<Counts> {
  const k = KINDS[table.kind];
  const counts: Counts = { ...emptyCounts(), read: rows.length };
  const complete = rows.filter((r) => r.jwt_uuid && r.claim_keys !== null && r.issued_at && r.expires_at);
  skip(counts, "incomplete", rows.length - complete.length);
  const timed = complete.filter((r) => Date.parse(r.expires_at!) > Date.parse(r.issued_at!));
  skip(counts, "no_positive_lifetime", complete.length - timed.length);
  const present = await existing(
    tx,
    [k.sql.metadata, k.sql.archive],
    timed.map((r) => r.jwt_uuid),
  );
  const fresh = timed.filter((r) => !present.has(r.jwt_uuid.toLowerCase()));
  skip(counts, "already_imported", timed.length - fresh.length);
  if (fresh.length === 0) return counts;
  const inserted = await tx.$queryRaw<Array<{ jwt_uuid: string }>>`
    INSERT INTO ${k.sql.metadata} (id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer,
           supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id, imported_from)
    SELECT COALESCE(x.id, gen_random_uuid()), x.jwt_uuid, COALESCE(x.created_at, x.issued_at), x.claim_keys, x.issued_at, x.expires_at,
           x.subject, x.jwt_name, x.audience, x.issuer, x.supersedes, COALESCE(x.original_jwt_uuid, x.jwt_uuid),
           NULL, NULL, ${k.tokenType}, ${opts.clientId}::text, ${IMPORT_SOURCES.tim2}
      FROM jsonb_to_recordset(${JSON.stringify(fresh)}::jsonb) AS x(id uuid, jwt_uuid uuid, created_at timestamptz, claim_keys text,
           issued_at timestamptz, expires_at timestamptz, subject text, jwt_name text, audience text, issuer text,
           supersedes uuid, original_jwt_uuid uuid)
    ON CONFLICT DO NOTHING
    RETURNING jwt_uuid::text`;
  counts.imported = inserted.length;
  skip(counts, "conflict", fresh.length - inserted.length);
  return counts;
}

async function writeDenylist(tx: DbTx, table: SourceTable, rows: SourceDenylistRow[]): Promise<Counts> {
  const k = KINDS[table.kind];
  const counts: Counts = { ...emptyCounts(), read: rows.length };
  const complete = rows.filter((r) => r.jwt_uuid && r.expires_at);
  skip(counts, "incomplete", rows.length - complete.length);
  const present = await existing(
    tx,
    [k.sql.denylist],
    complete.map((r) => r.jwt_uuid),
  );
  const fresh = complete.filter((r) => !present.has(r.jwt_uuid.toLowerCase()));
  skip(counts, "already_imported", complete.length - fresh.length);
  if (fresh.length === 0) return counts;
  const inserted = await tx.$queryRaw<Array<{ jwt_uuid: string }>>`
    INSERT INTO ${k.sql.denylist} (jwt_uuid, denylisted_at, expires_at, reason, revoked_by)
    SELECT x.jwt_uuid, COALESCE(x.denylisted_at, now()), x.expires_at, x.reason, ${IMPORT_REVOKED_BY}
      FROM jsonb_to_recordset(${JSON.stringify(fresh)}::jsonb) AS x(jwt_uuid uuid, denylisted_at timestamptz, expires_at timestamptz, reason text)
    ON CONFLICT (jwt_uuid) DO NOTHING
    RETURNING jwt_uuid::text`;
  counts.imported = inserted.length;
  skip(counts, "conflict", fresh.length - inserted.length);
  return counts;
}
