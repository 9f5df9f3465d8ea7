import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { appliedMigrationCount } from "@/lib/db/migration-status";
import { jobBacklog } from "@/lib/jobs/runner/backlog";
import { keyState } from "@/lib/jwt/key-state";
import { errorFields, log } from "@/lib/log/logger";
import pkg from "@/package.json";

/** TIM's one health vocabulary: every health endpoint answers it (beside TIM 2.0's own words where those are kept). */
export type HealthStatus = "ok" | "unavailable";

export type KeyHealth = {
  active_kid: string | null;
  alg: string | null;
  active_since: string | null;
  active_age_seconds: number | null;
  next_kid: string | null;
  /** When the scheduled next key starts signing; null when no rotation is scheduled. */
  next_rotation_at: string | null;
};

/** Events waiting in the local runner's queue (null under Inngest, which holds its own queue). */
export type JobBacklogHealth = { waiting: number; oldest_age_seconds: number } | null;

export type Health = {
  status: HealthStatus;
  version: string;
  database: "postgres" | "pglite";
  database_reachable: boolean;
  migrations_applied: number | null;
  keys: KeyHealth | null;
  job_mode: string;
  job_backlog: JobBacklogHealth;
  checked_at: string;
};

const PROBE_TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("health probe timeout")), ms).unref())]);
}

async function keyHealth(now: number): Promise<KeyHealth> {
  const k = await keyState();
  return {
    active_kid: k.activeKid,
    alg: k.alg,
    active_since: k.activeSince?.toISOString() ?? null,
    active_age_seconds: k.activeSince ? Math.max(0, Math.floor((now - k.activeSince.getTime()) / 1000)) : null,
    next_kid: k.nextKid,
    next_rotation_at: k.nextRotationAt?.toISOString() ?? null,
  };
}

async function backlogHealth(now: number): Promise<JobBacklogHealth> {
  if (config().jobMode !== "in-process") return null;
  const backlog = await jobBacklog(now);
  return {
    waiting: backlog.reduce((n, b) => n + b.waiting, 0),
    oldest_age_seconds: Math.round(Math.max(0, ...backlog.map((b) => b.oldestAgeSeconds))),
  };
}

/** Probes the database, reads the key state and the job backlog; never throws. */
export async function checkHealth(): Promise<Health> {
  const now = Date.now();
  const base = { version: pkg.version, database: config().databaseKind, job_mode: config().jobMode, checked_at: new Date(now).toISOString() };
  try {
    const probed = await withTimeout(
      (async () => {
        await (await db()).$queryRaw`SELECT 1`;
        const [migrations, keys, backlog] = await Promise.all([appliedMigrationCount(), keyHealth(now), backlogHealth(now)]);
        return { migrations, keys, backlog };
      })(),
      PROBE_TIMEOUT_MS,
    );
    return {
      status: "ok",
      database_reachable: true,
      migrations_applied: probed.migrations,
      keys: probed.keys,
      job_backlog: probed.backlog,
      ...base,
    };
  } catch (err) {
    log.warn("health check failed", errorFields(err));
    return { status: "unavailable", database_reachable: false, migrations_applied: null, keys: null, job_backlog: null, ...base };
  }
}
