import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { db } from "@/lib/db/client";

/** Tables the migrations create that have no Prisma model, on purpose. */
const UNMODELLED = new Set(["public._prisma_migrations"]);
const SCHEMAS = ["public", "custom", "tara", "tim"];

type Field = { model: string; name: string; column: string; type: string; optional: boolean; list: boolean; native?: string };
type Model = { name: string; table: string; fields: Field[] };

const SCALARS = new Set(["String", "Int", "BigInt", "Boolean", "DateTime", "Json", "Float", "Decimal", "Bytes"]);

/** Reads models from schema.prisma (the subset this project uses: scalar fields, @map, @db, @@map, @@schema). */
function parseSchema(text: string): Model[] {
  const models: Model[] = [];
  for (const m of text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const [, name, body] = m;
    const tableName = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name;
    const schema = /@@schema\("([^"]+)"\)/.exec(body)?.[1] ?? "public";
    const fields: Field[] = [];
    for (const line of body.split("\n")) {
      const f = /^\s*(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!f || line.trim().startsWith("@@") || line.trim().startsWith("//")) continue;
      const [, fname, type, list, optional, attrs] = f;
      if (!SCALARS.has(type)) continue;
      fields.push({
        model: name,
        name: fname,
        column: /@map\("([^"]+)"\)/.exec(attrs)?.[1] ?? fname,
        type,
        optional: Boolean(optional),
        list: Boolean(list),
        native: /@db\.(\w+)/.exec(attrs)?.[1],
      });
    }
    models.push({ name, table: `${schema}.${tableName}`, fields });
  }
  return models;
}

/** PostgreSQL udt names a Prisma scalar (and native type) may map to. */
function compatible(field: Field, udt: string): boolean {
  const base = udt.replace(/^_/, "");
  if (field.list !== udt.startsWith("_")) return false;
  const native: Record<string, string[]> = {
    Uuid: ["uuid"],
    Char: ["bpchar"],
    VarChar: ["varchar"],
    Text: ["text"],
    Timestamptz: ["timestamptz"],
    Timestamp: ["timestamp"],
    Inet: ["inet"],
  };
  if (field.native && native[field.native]) return native[field.native].includes(base);
  const byType: Record<string, string[]> = {
    String: ["text", "varchar", "bpchar"],
    Int: ["int4", "int2"],
    BigInt: ["int8"],
    Boolean: ["bool"],
    DateTime: ["timestamp", "timestamptz"],
    Json: ["jsonb", "json"],
    Float: ["float8", "float4"],
    Decimal: ["numeric"],
    Bytes: ["bytea"],
  };
  return (byType[field.type] ?? []).includes(base);
}

async function findDrift(schemaText: string): Promise<string[]> {
  const models = parseSchema(schemaText);
  const prisma = await db();
  const columns = await prisma.$queryRaw<Array<{ tbl: string; column_name: string; udt_name: string; is_nullable: string }>>`
    SELECT table_schema || '.' || table_name AS tbl, column_name, udt_name, is_nullable
      FROM information_schema.columns
     WHERE table_schema = ANY(${SCHEMAS})`;
  const tables = await prisma.$queryRaw<Array<{ tbl: string }>>`
    SELECT table_schema || '.' || table_name AS tbl FROM information_schema.tables
     WHERE table_schema = ANY(${SCHEMAS}) AND table_type = 'BASE TABLE'`;

  const problems: string[] = [];
  const byTable = new Map<string, Map<string, (typeof columns)[number]>>();
  for (const c of columns) {
    if (!byTable.has(c.tbl)) byTable.set(c.tbl, new Map());
    byTable.get(c.tbl)!.set(c.column_name, c);
  }
  const modelled = new Set(models.map((m) => m.table));
  for (const t of tables) {
    if (!modelled.has(t.tbl) && !UNMODELLED.has(t.tbl)) problems.push(`table ${t.tbl} has no model and is not listed as unmodelled`);
  }
  for (const model of models) {
    const cols = byTable.get(model.table);
    if (!cols) {
      problems.push(`model ${model.name}: table ${model.table} does not exist`);
      continue;
    }
    for (const f of model.fields) {
      const col = cols.get(f.column);
      if (!col) problems.push(`${model.name}.${f.name}: column ${model.table}.${f.column} does not exist`);
      else if (!compatible(f, col.udt_name))
        problems.push(`${model.name}.${f.name}: ${f.type}${f.native ? ` @db.${f.native}` : ""} vs column type ${col.udt_name}`);
      else if (!f.list && f.optional !== (col.is_nullable === "YES"))
        problems.push(`${model.name}.${f.name}: optional=${f.optional} but column nullable=${col.is_nullable}`);
    }
    const fieldColumns = new Set(model.fields.map((f) => f.column));
    for (const name of cols.keys()) {
      if (!fieldColumns.has(name)) problems.push(`${model.table}.${name} is not modelled in ${model.name}`);
    }
  }
  return problems;
}

const schemaText = readFileSync("prisma/schema.prisma", "utf8");

test("schema.prisma and the migrated database agree", async () => {
  expect(parseSchema(schemaText).length).toBeGreaterThan(5);
  expect(await findDrift(schemaText)).toEqual([]);
});

test("the drift check notices a missing column, a wrong type, wrong nullability and an unmodelled table", async () => {
  const drifted = schemaText
    .replace('@map("claim_keys")', '@map("claim_names")')
    .replace('useCount   Int                  @map("use_count")', 'useCount   Boolean              @map("use_count")')
    .replace("subject         String?\n  jwtName", "subject         String\n  jwtName")
    .replace(/model TaraAllowlist \{[\s\S]*?^\}/m, "");
  const problems = await findDrift(drifted);
  expect(problems).toContain("CustomJwtMetadata.claimKeys: column custom.jwt_metadata.claim_names does not exist");
  expect(problems).toContain("CustomTokenUsage.useCount: Boolean vs column type int4");
  expect(problems).toContain("CustomJwtMetadata.subject: optional=false but column nullable=YES");
  expect(problems).toContain("table tara.allowlist has no model and is not listed as unmodelled");
});
