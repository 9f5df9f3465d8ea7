import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { appliedMigrationCount } from "@/lib/db/migration-status";
import { errorFields, log } from "@/lib/log/logger";

export type Health = {
  status: "ok" | "unavailable";
  database: "postgres" | "pglite";
  database_reachable: boolean;
  migrations_applied: number | null;
  job_mode: string;
  checked_at: string;
};

const PROBE_TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error("health probe timeout")), ms).unref()),
  ]);
}

/** Probes the database; never throws. */
export async function checkHealth(): Promise<Health> {
  const base = { database: config().databaseKind, job_mode: config().jobMode, checked_at: new Date().toISOString() };
  try {
    const migrations = await withTimeout(
      (async () => {
        await (await db()).$queryRaw`SELECT 1`;
        return appliedMigrationCount();
      })(),
      PROBE_TIMEOUT_MS,
    );
    return { status: "ok", database_reachable: true, migrations_applied: migrations, ...base };
  } catch (err) {
    log.warn("health check failed", errorFields(err));
    return { status: "unavailable", database_reachable: false, migrations_applied: null, ...base };
  }
}
