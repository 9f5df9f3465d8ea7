import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { openSqlSession, type SqlSession } from "@/lib/db/sql-session";

/** Same key for every TIM instance, so concurrent starts apply migrations once. */
const MIGRATION_LOCK_KEY = 72_541_331_907;

export type MigrationFile = { name: string; sql: string; checksum: string };
export type MigrationResult = { applied: string[]; alreadyApplied: number; total: number };

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

export function defaultMigrationsDir(): string {
  return path.join(process.cwd(), "prisma", "migrations");
}

/** Migration folders in order; checksum as Prisma computes it (SHA-256 of the file). */
export function readMigrations(dir = defaultMigrationsDir()): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const CREATE_HISTORY_TABLE = `
CREATE TABLE IF NOT EXISTS public."_prisma_migrations" (
  "id" varchar(36) PRIMARY KEY NOT NULL,
  "checksum" varchar(64) NOT NULL,
  "finished_at" timestamptz,
  "migration_name" varchar(255) NOT NULL,
  "logs" text,
  "rolled_back_at" timestamptz,
  "started_at" timestamptz NOT NULL DEFAULT now(),
  "applied_steps_count" integer NOT NULL DEFAULT 0
)`;

type AppliedRow = { migration_name: string; checksum: string };

async function appliedMigrations(session: SqlSession): Promise<AppliedRow[]> {
  return session.query<AppliedRow>(
    `SELECT migration_name, checksum FROM public."_prisma_migrations"
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
}

function checkUnchanged(files: MigrationFile[], applied: AppliedRow[]): void {
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const row of applied) {
    const file = byName.get(row.migration_name);
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(
        `Migration ${row.migration_name} was changed after it was applied ` +
          `(database checksum ${row.checksum.slice(0, 12)}…, file ${file.checksum.slice(0, 12)}…). ` +
          `Applied migrations must never be edited: restore the file and add a new migration instead.`,
      );
    }
  }
}

async function applyOne(session: SqlSession, file: MigrationFile): Promise<void> {
  await session.exec("BEGIN");
  try {
    await session.exec(file.sql);
    await session.query(
      `INSERT INTO public."_prisma_migrations"
         (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, now(), 1)`,
      [randomUUID(), file.checksum, file.name],
    );
    await session.exec("COMMIT");
  } catch (err) {
    await session.exec("ROLLBACK");
    throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${(err as Error).message}`);
  }
}

/**
 * Applies pending migrations in name order, each in its own transaction, under
 * a session advisory lock; refuses to start when an applied file has changed.
 */
export async function migrate(options: { dir?: string; session?: SqlSession } = {}): Promise<MigrationResult> {
  const files = readMigrations(options.dir);
  const session = options.session ?? (await openSqlSession());
  try {
    await session.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await session.exec(CREATE_HISTORY_TABLE);
      const applied = await appliedMigrations(session);
      checkUnchanged(files, applied);
      const done = new Set(applied.map((r) => r.migration_name));
      const pending = files.filter((f) => !done.has(f.name));
      for (const file of pending) await applyOne(session, file);
      return { applied: pending.map((f) => f.name), alreadyApplied: files.length - pending.length, total: files.length };
    } finally {
      await session.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    if (!options.session) await session.release();
  }
}
