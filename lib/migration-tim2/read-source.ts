import type { SqlSession } from "@/lib/db/sql-session";
import { qualified, type SourceTable } from "@/lib/migration-tim2/source-layout";

/** A TIM 2.0 metadata row as read: times as UTC ISO text, a column the table lacks as null. */
export type SourceMetadataRow = {
  id: string | null;
  jwt_uuid: string;
  created_at: string | null;
  claim_keys: string | null;
  issued_at: string | null;
  expires_at: string | null;
  subject: string | null;
  jwt_name: string | null;
  audience: string | null;
  issuer: string | null;
  supersedes: string | null;
  original_jwt_uuid: string | null;
};

export type SourceDenylistRow = {
  jwt_uuid: string;
  denylisted_at: string | null;
  expires_at: string | null;
  reason: string | null;
};

export type SourceRow = SourceMetadataRow | SourceDenylistRow;

const COLUMNS = {
  metadata: [
    "id",
    "jwt_uuid",
    "created_at",
    "claim_keys",
    "issued_at",
    "expires_at",
    "subject",
    "jwt_name",
    "audience",
    "issuer",
    "supersedes",
    "original_jwt_uuid",
  ],
  denylist: ["jwt_uuid", "denylisted_at", "expires_at", "reason"],
} as const;

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * How a column is read. TIM 2.0 stores instants in `timestamp` (without time
 * zone) columns, written in the JVM's zone: read in `timeZone` (UTC unless
 * told, as TIM 2.0's containers run) and turned into UTC.
 */
function selectExpr(table: SourceTable, column: string): string {
  const type = table.columns.get(column);
  if (!type) return `NULL::text AS ${column}`;
  if (type === "timestamp without time zone") return `to_char((${column} AT TIME ZONE $3::text) AT TIME ZONE 'UTC', ${ISO}) AS ${column}`;
  if (type === "timestamp with time zone") return `to_char(${column} AT TIME ZONE 'UTC', ${ISO}) AS ${column}`;
  return `${column}::text AS ${column}`;
}

/** The keyset a table is read in: jwt_uuid, then id where jwt_uuid is not unique (TIM 2.0's jwt_metadata keeps versions by id). */
function keyColumns(table: SourceTable): string[] {
  return table.what === "metadata" && table.columns.has("id") ? ["jwt_uuid", "id"] : ["jwt_uuid"];
}

export type Keyset = string[];

/** The key of a row, as stored in tim.tim2_import_progress (JSON array). */
export function keyOf(table: SourceTable, row: SourceRow): Keyset {
  return keyColumns(table).map((c) => String((row as Record<string, unknown>)[c]));
}

/** Rows after `after` in keyset order, at most `limit`. */
export async function readSourceBatch(
  source: SqlSession,
  table: SourceTable,
  after: Keyset | undefined,
  limit: number,
  timeZone: string,
): Promise<SourceRow[]> {
  const keys = keyColumns(table);
  const select = COLUMNS[table.what].map((c) => selectExpr(table, c)).join(", ");
  // $1: the keyset as a text array (cast per column); $2: limit; $3: the source time zone
  const after$ = keys.map((_k, i) => `($1::text[])[${i + 1}]::uuid`).join(", ");
  // every parameter is referenced (an unused one would make PostgreSQL refuse the statement)
  const where = `${after ? `WHERE (${keys.join(", ")}) > (${after$})` : "WHERE $1::text[] IS NULL"} AND $3::text IS NOT NULL`;
  return source.query<SourceRow>(`SELECT ${select} FROM ${qualified(table)} ${where} ORDER BY ${keys.join(", ")} LIMIT $2::int`, [
    after ?? null,
    limit,
    timeZone,
  ]);
}

/** How many rows a table has (for the progress bar). */
export async function countSourceRows(source: SqlSession, table: SourceTable): Promise<number> {
  const [row] = await source.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${qualified(table)}`);
  return Number(row.n);
}
