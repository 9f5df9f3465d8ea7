import { randomBytes } from "node:crypto";
import pg from "pg";

export type FreshDatabase = {
  name: string;
  /** `adminUrl` pointing at the new database. */
  url: string;
  /** Drops it, even with connections still open. */
  drop: () => Promise<void>;
};

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * An empty, uniquely named PostgreSQL database beside the one `adminUrl` names (on the same server, same
 * credentials), for a test run, a benchmark or an end-to-end run; migrating it is the caller's (TIM's
 * `migrate()` with DATABASE_URL set to `url`, or `npm start` itself).
 */
export async function freshDatabase(adminUrl: string, prefix: string): Promise<FreshDatabase> {
  // The name goes into SQL as an identifier: a fixed prefix from the code and generated characters only.
  if (!/^[a-z][a-z0-9_]*$/.test(prefix)) throw new Error(`database prefix ${JSON.stringify(prefix)}: lower-case letters, digits and _ only`);
  const name = `${prefix}_${Date.now()}_${randomBytes(3).toString("hex")}`;
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
