import pg from "pg";
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

export async function openSqlSession(): Promise<SqlSession> {
  const handles = await dbHandles();
  if (handles.pglite) {
    const lite = handles.pglite;
    return {
      query: async <T>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
      exec: async (sql: string) => void (await lite.exec(sql)),
      release: async () => undefined,
    };
  }
  const client: pg.PoolClient = await handles.pool!.connect();
  return {
    query: async <T>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params as unknown[])).rows as T[],
    exec: async (sql: string) => void (await client.query(sql)),
    release: async () => client.release(),
  };
}
