import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "@/lib/db/pglite-extensions";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { migrate } from "@/lib/db/migrate";
import { pgSession, pgliteSession } from "@/lib/db/sql-session";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { onPostgres } from "@/test/support/scratch-db";

/**
 * A migrated TIM database of its own (a PostgreSQL database or a PGlite
 * directory) for tests that tamper with the audit trail or hand the database
 * to a child process; the shared test database is never touched.
 */
export type ScratchTim = {
  prisma: PrismaClient;
  /** Runs SQL as the superuser the tests connect as (e.g. to disable a trigger). */
  exec(sql: string): Promise<void>;
  /** Releases this process's hold so a child process can open the database with `env`. */
  release(): Promise<void>;
  env: Record<string, string>;
  drop(): Promise<void>;
};

/** `forChildProcess`: on PGlite, keep the database in a directory (slower) that a child process can open. */
export async function createScratchTim(options: { forChildProcess?: boolean } = {}): Promise<ScratchTim> {
  if (!onPostgres) {
    const dir = options.forChildProcess ? mkdtempSync(path.join(tmpdir(), "tim-scratch-")) : undefined;
    const lite = await PGlite.create(dir ?? "memory://", { extensions: PGLITE_EXTENSIONS });
    await migrate({ session: pgliteSession(lite) });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await prisma.$disconnect();
      await lite.close();
    };
    return {
      prisma,
      exec: async (sql) => void (await lite.exec(sql)),
      release,
      env: dir ? { TIM_PGLITE_DIR: dir, DATABASE_URL: "" } : {},
      drop: async () => {
        await release();
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = process.env.TIM_TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL!;
  const name = `tim_audit_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const migrator = new pg.Client({ connectionString: url.toString() });
  await migrator.connect();
  await migrate({ session: pgSession(migrator, () => undefined) });
  await migrator.end();
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url.toString(), max: 4 }) });
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await prisma.$disconnect();
  };
  return {
    prisma,
    exec: async (sql) => {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
    release,
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      await release();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
