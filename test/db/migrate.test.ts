import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { MigrationError, migrate, readMigrations } from "@/lib/db/migrate";
import type { SqlSession } from "@/lib/db/sql-session";
import { createScratchDb, onPostgres, type ScratchDb } from "@/test/support/scratch-db";

let scratch: ScratchDb | undefined;
afterEach(async () => {
  await scratch?.drop();
  scratch = undefined;
});

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tim-migrations-"));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

async function history(session: SqlSession) {
  return session.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
    `SELECT migration_name, checksum, finished_at FROM public."_prisma_migrations" ORDER BY started_at, migration_name`,
  );
}

describe("migrator", () => {
  test("applies migrations in name order, each recorded with Prisma's checksum", async () => {
    scratch = await createScratchDb();
    const session = await scratch.session();
    // Created out of order on disk; the second depends on the first.
    const dir = migrationsDir({
      "20260102000000_second": "ALTER TABLE demo.t ADD COLUMN b int NOT NULL DEFAULT 2;",
      "20260101000000_first": "CREATE SCHEMA demo; CREATE TABLE demo.t (a int);",
    });
    const result = await migrate({ dir, session });
    expect(result.applied).toEqual(["20260101000000_first", "20260102000000_second"]);
    const rows = await history(session);
    expect(rows.map((r) => r.migration_name)).toEqual(["20260101000000_first", "20260102000000_second"]);
    const expected = createHash("sha256").update("CREATE SCHEMA demo; CREATE TABLE demo.t (a int);").digest("hex");
    expect(rows[0].checksum).toBe(expected);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    const cols = await session.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'demo' AND table_name = 't' ORDER BY ordinal_position`,
    );
    expect(cols.map((c) => c.column_name)).toEqual(["a", "b"]);
  });

  test("is idempotent: a second run applies nothing", async () => {
    scratch = await createScratchDb();
    const session = await scratch.session();
    const dir = migrationsDir({ "20260101000000_one": "CREATE TABLE public.once (id int);" });
    await migrate({ dir, session });
    const again = await migrate({ dir, session });
    expect(again).toEqual({ applied: [], alreadyApplied: 1, total: 1 });
    expect(await history(session)).toHaveLength(1);
  });

  test("refuses to run when an applied migration was changed", async () => {
    scratch = await createScratchDb();
    const session = await scratch.session();
    const dir = migrationsDir({ "20260101000000_one": "CREATE TABLE public.x (id int);" });
    await migrate({ dir, session });
    writeFileSync(path.join(dir, "20260101000000_one", "migration.sql"), "CREATE TABLE public.x (id bigint);");
    await expect(migrate({ dir, session })).rejects.toThrow(MigrationError);
    await expect(migrate({ dir, session })).rejects.toThrow(/20260101000000_one was changed after it was applied/);
  });

  test("rolls back a failing migration completely and records nothing", async () => {
    scratch = await createScratchDb();
    const session = await scratch.session();
    const dir = migrationsDir({
      "20260101000000_ok": "CREATE TABLE public.ok (id int);",
      "20260102000000_bad": "CREATE TABLE public.half (id int); SELECT * FROM public.no_such_table;",
    });
    await expect(migrate({ dir, session })).rejects.toThrow(/20260102000000_bad failed and was rolled back/);
    const tables = await session.query<{ t: string | null }>(`SELECT to_regclass('public.half')::text AS t`);
    expect(tables[0].t).toBeNull();
    expect((await history(session)).map((r) => r.migration_name)).toEqual(["20260101000000_ok"]);
  });

  test("applies the project's own migrations to an empty database", async () => {
    scratch = await createScratchDb();
    const session = await scratch.session();
    const result = await migrate({ session });
    expect(result.applied).toEqual(readMigrations().map((m) => m.name));
    const tables = await session.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema IN ('custom','tara')`);
    expect(tables[0].n).toBeGreaterThanOrEqual(9);
  });

  // Two sessions can only exist on a server; PGlite is a single in-process
  // connection, so the advisory lock is exercised when DATABASE_URL is set (CI runs both).
  test.runIf(onPostgres)("two concurrent migrators apply each migration exactly once (advisory lock)", async () => {
    scratch = await createScratchDb();
    const [a, b] = [await scratch.session(), await scratch.session()];
    const dir = migrationsDir({
      "20260101000000_slow": "SELECT pg_sleep(0.4); CREATE TABLE public.raced (id int);",
      "20260102000000_next": "INSERT INTO public.raced VALUES (1);",
    });
    const [ra, rb] = await Promise.all([migrate({ dir, session: a }), migrate({ dir, session: b })]);
    expect(ra.applied.length + rb.applied.length).toBe(2);
    expect([ra.applied.length, rb.applied.length].sort()).toEqual([0, 2]);
    expect(await history(a)).toHaveLength(2);
    expect((await a.query<{ n: number }>("SELECT count(*)::int AS n FROM public.raced"))[0].n).toBe(1);
  });
});
