import { expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { EXPORT_COLUMNS, NOT_EXPORTED } from "@/lib/reporting/export";
import { ARCHIVE_COLUMNS } from "@/lib/retention/archive-expired";
import { KINDS, TOKEN_KINDS, USAGE_COLUMNS } from "@/lib/tokens/kinds";

/** A table's columns in the migrated database, in table order. */
async function columnsOf(table: string): Promise<string[]> {
  const [schema, name] = table.split(".");
  const rows = await (await db()).$queryRaw<Array<{ column_name: string }>>`
    SELECT column_name FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = ${name}
     ORDER BY ordinal_position`;
  return rows.map((r) => r.column_name);
}

// A column added by a migration but missing from a list would be silently dropped (by the insert,
// on archiving, from exports): each list is checked against the database itself.
for (const kind of TOKEN_KINDS) {
  const k = KINDS[kind];

  test(`${kind}: the insert writes every column of ${k.table.metadata}`, async () => {
    expect(k.columns.map((c) => c.column)).toEqual(await columnsOf(k.table.metadata));
  });

  test(`${kind}: archiving fills every column of ${k.table.archive} and keeps the usage counters`, async () => {
    expect([...ARCHIVE_COLUMNS[kind]].sort()).toEqual((await columnsOf(k.table.archive)).sort());
    expect(await columnsOf(k.table.usage)).toEqual(["jwt_uuid", ...USAGE_COLUMNS]);
  });

  test(`${kind}: every metadata and usage column is exported or named as not exported, with why`, async () => {
    const exported = new Set<string>(EXPORT_COLUMNS);
    const missing = [...(await columnsOf(k.table.metadata)), ...USAGE_COLUMNS].filter((c) => !exported.has(c) && !(c in NOT_EXPORTED));
    expect(missing).toEqual([]);
    // a reason must not cover a column the export carries
    expect(Object.keys(NOT_EXPORTED).filter((c) => exported.has(c))).toEqual([]);
  });
}

test("a column the lists miss is noticed", async () => {
  const archive = await columnsOf(KINDS.tara.table.archive);
  expect(archive).toContain("family_name");
  expect(KINDS.custom.columns.map((c) => c.column)).not.toEqual(await columnsOf(KINDS.tara.table.metadata));
});
