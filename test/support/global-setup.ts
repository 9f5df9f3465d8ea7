import { freshDatabase } from "../../scripts/lib/fresh-database";

/**
 * With DATABASE_URL set, every test run gets a database of its own on that
 * server (created here, dropped afterwards), so existing data is never touched.
 * Without it, each test file opens its own in-memory PGlite (see setup.ts).
 */
export default async function globalSetup() {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return;
  const database = await freshDatabase(adminUrl, "tim_test");
  process.env.TIM_TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.DATABASE_URL = database.url;

  const { migrate } = await import("../../lib/db/migrate");
  const { closeDb } = await import("../../lib/db/client");
  await migrate();
  await closeDb();

  return database.drop;
}
