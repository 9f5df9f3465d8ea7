import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { resetKeyCache } from "@/lib/jwt/key-cache";

/**
 * Key-management tests change which key signs and how keys are stored; on the
 * shared per-run PostgreSQL database that would pull the keys from under the
 * other test files. With DATABASE_URL set, this file gets a database of its own
 * (PGlite files have one each already).
 */
export function usePrivateDatabase(): void {
  const adminUrl = process.env.TIM_TEST_ADMIN_DATABASE_URL;
  if (!adminUrl) return;
  const name = `tim_test_keys_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    // The setting changes before the handles close, so a background task reopening them gets the new database.
    process.env.DATABASE_URL = url.toString();
    resetConfig();
    await closeDb();
    resetKeyCache();
    await migrate();
  });
  afterAll(async () => {
    await closeDb();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}
