import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import { dbHandles } from "@/lib/db/client";

/**
 * A single database session for work that Prisma cannot express: running
 * multi-statement migration files and holding a session-level advisory lock.
 */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  release(): Promise<void>;
}

export function pgliteSession(lite: PGlite): SqlSession {
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
    exec: async (sql: string) => void (await lite.exec(sql)),
    release: async () => undefined,
  };
}

export function pgSession(client: pg.ClientBase, release: () => void | Promise<void>): SqlSession {
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    exec: async (sql: string) => void (await client.query(sql)),
    release: async () => void (await release()),
  };
}

/** A session on the process's database (PGlite instance or a pooled connection). */
export async function openSqlSession(): Promise<SqlSession> {
  const handles = await dbHandles();
  if (handles.pglite) return pgliteSession(handles.pglite);
  const client = await handles.pool!.connect();
  return pgSession(client, () => client.release());
}
