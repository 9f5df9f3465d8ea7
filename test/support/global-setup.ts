import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * With DATABASE_URL set, every test run gets a database of its own on that
 * server (created here, dropped afterwards), so existing data is never touched.
 * Without it, each test file opens its own in-memory PGlite (see setup.ts).
 */
export default async function globalSetup() {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return;
  const name = `tim_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  process.env.TIM_TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.DATABASE_URL = url.toString();

  const { migrate } = await import("../../lib/db/migrate");
  const { closeDb } = await import("../../lib/db/client");
  await migrate();
  await closeDb();

  return async () => {
    const drop = new pg.Client({ connectionString: adminUrl });
    await drop.connect();
    await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await drop.end();
  };
}
