import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "@/lib/db/pglite-extensions";
import pg from "pg";
import { pgSession, pgliteSession, type SqlSession } from "@/lib/db/sql-session";

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
  const name = `tim_scratch_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const clients: pg.Client[] = [];
  return {
    session: async () => {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      clients.push(client);
      return pgSession(client, () => client.end());
    },
    drop: async () => {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
