import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "@/lib/db/pglite-extensions";
import pg from "pg";
import { pgSession, pgliteSession, type SqlSession } from "@/lib/db/sql-session";
import { freshDatabase } from "@/scripts/lib/fresh-database";

export const onPostgres = Boolean(process.env.DATABASE_URL);

export type ScratchDb = {
  /** A new session on the scratch database (PostgreSQL: a new connection each call). */
  session: () => Promise<SqlSession>;
  drop: () => Promise<void>;
};

/** An empty database of its own, on the same kind of engine as the test run. */
export async function createScratchDb(): Promise<ScratchDb> {
  if (!onPostgres) {
    const lite = await PGlite.create("memory://", { extensions: PGLITE_EXTENSIONS });
    return { session: async () => pgliteSession(lite), drop: () => lite.close() };
  }
  const adminUrl = process.env.TIM_TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL!;
  const database = await freshDatabase(adminUrl, "tim_scratch");
  const clients: pg.Client[] = [];
  return {
    session: async () => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      clients.push(client);
      return pgSession(client, () => client.end());
    },
    drop: async () => {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await database.drop();
    },
  };
}
