import type { SqlSession } from "@/lib/db/sql-session";
import type { TokenKind } from "@/lib/tokens/kinds";

/**
 * Where a TIM 2.0 database keeps its tokens. TIM 2.0's db/init.sql creates
 * `custom_jwt.*` (custom JWTs) and `auth.*` (its OAuth2/TARA side); its
 * CustomDenylist entity and the seed documents name `custom.*` (and `tara.*`
 * for TARA), and its oldest `jwt_metadata` had only jwt_uuid, claim_keys,
 * issued_at and expires_at. Every variant found is read; columns a table
 * lacks are read as NULL.
 */
export type SourceTable = {
  kind: TokenKind;
  what: "metadata" | "denylist";
  schema: string;
  name: string;
  /** Column name → data_type (information_schema). */
  columns: ReadonlyMap<string, string>;
};

export const SOURCE_SCHEMAS: Record<TokenKind, readonly string[]> = {
  custom: ["custom_jwt", "custom"],
  tara: ["auth", "tara"],
};

export const qualified = (t: Pick<SourceTable, "schema" | "name">) => `${t.schema}.${t.name}`;

export class SourceError extends Error {}

const REQUIRED: Record<SourceTable["what"], readonly string[]> = {
  metadata: ["jwt_uuid", "claim_keys", "issued_at", "expires_at"],
  denylist: ["jwt_uuid", "expires_at"],
};

/** The TIM 2.0 token tables of the source database, denylists first (see importTim2). */
export async function detectSourceLayout(source: SqlSession): Promise<SourceTable[]> {
  const schemas = [...SOURCE_SCHEMAS.custom, ...SOURCE_SCHEMAS.tara];
  const rows = await source.query<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(
    `SELECT table_schema, table_name, column_name, data_type
       FROM information_schema.columns
      WHERE table_schema = ANY($1::text[]) AND table_name IN ('jwt_metadata', 'denylist')
      ORDER BY table_schema, table_name, ordinal_position`,
    [schemas],
  );
  const tables = new Map<string, SourceTable>();
  for (const r of rows) {
    const kind: TokenKind = SOURCE_SCHEMAS.custom.includes(r.table_schema) ? "custom" : "tara";
    const key = `${r.table_schema}.${r.table_name}`;
    let t = tables.get(key);
    if (!t) {
      t = { kind, what: r.table_name === "denylist" ? "denylist" : "metadata", schema: r.table_schema, name: r.table_name, columns: new Map() };
      tables.set(key, t);
    }
    (t.columns as Map<string, string>).set(r.column_name, r.data_type);
  }
  const found = [...tables.values()];
  // TIM's own database has the same schema names; its rows are not TIM 2.0's to import.
  if (found.some((t) => t.what === "metadata" && t.columns.has("token_hash"))) {
    throw new SourceError("The source is a TIM database (its jwt_metadata has token_hash), not a TIM 2.0 one: nothing to import from it.");
  }
  for (const t of found) {
    const missing = REQUIRED[t.what].filter((c) => !t.columns.has(c));
    if (missing.length) throw new SourceError(`${qualified(t)} lacks ${missing.join(", ")}: not a TIM 2.0 table this import knows.`);
  }
  if (!found.some((t) => t.what === "metadata" || t.what === "denylist")) {
    throw new SourceError(`No TIM 2.0 token tables in the source (looked for jwt_metadata and denylist in ${schemas.join(", ")}).`);
  }
  const order = (t: SourceTable) => (t.what === "denylist" ? 0 : 1) * 10 + (t.kind === "custom" ? 0 : 1);
  return found.sort((a, b) => order(a) - order(b) || qualified(a).localeCompare(qualified(b)));
}
