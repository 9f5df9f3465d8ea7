import { prepared, type PreparedStatement } from "@/lib/db/prepared";
import { byKind, type KindDescription } from "@/lib/tokens/kinds";

/*
 * The one insert of metadata rows, per kind, made from the kind's description:
 * $1 is a JSON array of rows keyed by field name (jwtUuid, claimKeys, …, as
 * Prisma names them); a field a row omits takes its column's default. Custom
 * issuance, TARA issuance and async issuance (lib/jobs/metadata.ts) all use it.
 * `once`: a row whose jwt_uuid is stored already is skipped, so a retried
 * batch of the async job inserts each row once.
 */
function insertText(kind: KindDescription, once: boolean): string {
  const names = kind.columns.map((c) => c.column).join(", ");
  const values = kind.columns.map((c) => (c.default ? `COALESCE(x."${c.field}", ${c.default})` : `x."${c.field}"`)).join(", ");
  const record = kind.columns.map((c) => `"${c.field}" ${c.sqlType}`).join(", ");
  return `INSERT INTO ${kind.table.metadata} (${names})
   SELECT ${values}
     FROM jsonb_to_recordset($1::jsonb) AS x(${record})${once ? "\n   ON CONFLICT (jwt_uuid) DO NOTHING" : ""}`;
}

export const INSERT_METADATA: Record<KindDescription["kind"], PreparedStatement> = byKind((k) => prepared(`insert_${k.kind}_metadata`, insertText(k, false)));

export const INSERT_METADATA_ONCE: Record<KindDescription["kind"], PreparedStatement> = byKind((k) =>
  prepared(`insert_${k.kind}_metadata_once`, insertText(k, true)),
);
