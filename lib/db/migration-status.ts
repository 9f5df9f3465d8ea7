import { openSqlSession } from "@/lib/db/sql-session";

/** Number of migrations recorded as applied (0 before the first run). */
export async function appliedMigrationCount(): Promise<number> {
  const session = await openSqlSession();
  try {
    const [table] = await session.query<{ t: string | null }>(`SELECT to_regclass('public._prisma_migrations')::text AS t`);
    if (!table?.t) return 0;
    const rows = await session.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public."_prisma_migrations"
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    return rows[0]?.n ?? 0;
  } finally {
    await session.release();
  }
}
