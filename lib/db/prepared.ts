import { dbHandles } from "@/lib/db/client";

/**
 * A constant, parameterised statement for the hottest queries. On PostgreSQL
 * it is prepared once per pooled connection (by name) and skips Prisma's
 * query compilation; on PGlite it runs as an ordinary parameterised query.
 * The text is fixed at module load: never build it from input.
 */
export type PreparedStatement = { readonly name: string; readonly text: string };

export function prepared(name: string, text: string): PreparedStatement {
  return Object.freeze({ name: `tim_${name}`, text });
}

export async function runPrepared<Row>(statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  const handles = await dbHandles();
  if (handles.pool) {
    const result = await handles.pool.query({ name: statement.name, text: statement.text, values });
    return result.rows as Row[];
  }
  return (await handles.pglite!.query<Row>(statement.text, values)).rows;
}
