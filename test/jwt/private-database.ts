import { afterAll, beforeAll } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { resetKeyCache } from "@/lib/jwt/key-cache";
import { freshDatabase, type FreshDatabase } from "@/scripts/lib/fresh-database";

/**
 * Key-management tests change which key signs and how keys are stored; on the
 * shared per-run PostgreSQL database that would pull the keys from under the
 * other test files. With DATABASE_URL set, this file gets a database of its own
 * (PGlite files have one each already).
 */
export function usePrivateDatabase(): void {
  const adminUrl = process.env.TIM_TEST_ADMIN_DATABASE_URL;
  if (!adminUrl) return;
  let database: FreshDatabase | undefined;
  beforeAll(async () => {
    database = await freshDatabase(adminUrl, "tim_test_keys");
    // The setting changes before the handles close, so a background task reopening them gets the new database.
    process.env.DATABASE_URL = database.url;
    resetConfig();
    await closeDb();
    resetKeyCache();
    await migrate();
  });
  afterAll(async () => {
    await closeDb();
    await database?.drop();
  });
}
