import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { describeJobError } from "@/lib/jobs/errors";
import { deadOwners, jobRunOwner } from "@/lib/jobs/runner/instance";

/**
 * tim.job_runs: one row per maintenance or bulk job run (retention, archive
 * purge, export, mass revocation) with progress, counts per table and error,
 * for the console.
 */
export type JobKind = "retention" | "archive_purge" | "export" | "mass_revocation";
export type JobTrigger = "cron" | "manual" | "console" | "event";

export type JobRunView = {
  id: string;
  job: string;
  trigger: string;
  requestedBy: string | null;
  status: string;
  params: unknown;
  counts: Record<string, number>;
  progressDone: number;
  progressTotal: number | null;
  result: unknown;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
};

type JobRunRow = Prisma.JobRunGetPayload<object>;

function view(row: JobRunRow): JobRunView {
  return {
    id: row.id,
    job: row.job,
    trigger: row.trigger,
    requestedBy: row.requestedBy,
    status: row.status,
    params: row.params,
    counts: row.counts as Record<string, number>,
    progressDone: Number(row.progressDone),
    progressTotal: row.progressTotal === null ? null : Number(row.progressTotal),
    result: row.result,
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export async function startJobRun(input: {
  job: JobKind;
  trigger: JobTrigger;
  requestedBy?: string | null;
  params?: Prisma.InputJsonValue;
  counts?: Record<string, number>;
  status?: "queued" | "running";
}): Promise<string> {
  const status = input.status ?? "running";
  // a queued run is handed to a background function, whose execution keeps it alive
  const owner = status === "running" ? await jobRunOwner() : null;
  const row = await (await db()).jobRun.create({
    data: {
      ownerKey: owner ? BigInt(owner.key) : null,
      ownerName: owner?.name ?? null,
      job: input.job,
      trigger: input.trigger,
      requestedBy: input.requestedBy ?? null,
      params: input.params ?? {},
      counts: input.counts ?? {},
      status,
    },
    select: { id: true },
  });
  return row.id;
}

export async function reportJobProgress(
  id: string,
  progress: { counts?: Record<string, number>; done?: number; total?: number | null; status?: "running" },
): Promise<void> {
  await (await db()).jobRun.update({
    where: { id },
    data: {
      counts: progress.counts,
      progressDone: progress.done === undefined ? undefined : BigInt(progress.done),
      progressTotal: progress.total === undefined ? undefined : progress.total === null ? null : BigInt(progress.total),
      status: progress.status,
      updatedAt: new Date(),
    },
  });
}

/** Adds to the run's per-table counts in one statement. */
export async function addJobRunCounts(id: string, delta: Record<string, number>): Promise<void> {
  const json = JSON.stringify(delta);
  await (await db()).$executeRaw`
    UPDATE tim.job_runs r
       SET counts = r.counts || (
             SELECT COALESCE(jsonb_object_agg(d.key, COALESCE((r.counts->>d.key)::bigint, 0) + d.value::bigint), '{}'::jsonb)
               FROM jsonb_each_text(${json}::jsonb) AS d(key, value)),
           updated_at = now()
     WHERE id = ${id}::uuid`;
}

export async function finishJobRun(id: string, outcome: { counts?: Record<string, number>; result?: Prisma.InputJsonValue; error?: unknown }): Promise<void> {
  const failed = outcome.error !== undefined;
  await (await db()).jobRun.update({
    where: { id },
    data: {
      status: failed ? "failed" : "succeeded",
      counts: outcome.counts,
      result: outcome.result,
      error: failed ? describeJobError(outcome.error) : null,
      finishedAt: new Date(),
      updatedAt: new Date(),
    },
  });
}

/**
 * Marks failed the runs whose process is gone: a CLI job or a console request
 * run in place holds its owner lock while it works (runs inside a runner
 * execution have no owner of their own: the execution is resumed elsewhere).
 */
export async function failOrphanedJobRuns(): Promise<number> {
  const client = await db();
  const owners = await client.$queryRaw<Array<{ key: string }>>`
    SELECT DISTINCT owner_key::text AS key FROM tim.job_runs WHERE status = 'running' AND owner_key IS NOT NULL`;
  if (owners.length === 0) return 0;
  const dead = await deadOwners(owners.map((o) => o.key));
  if (dead.length === 0) return 0;
  const error = "The process running this job stopped before it finished.";
  return client.$executeRaw`
    UPDATE tim.job_runs SET status = 'failed', error = ${error}, finished_at = now(), updated_at = now()
     WHERE status = 'running' AND owner_key = ANY(${dead}::bigint[])`;
}

export async function getJobRun(id: string): Promise<JobRunView | undefined> {
  const row = await (await db()).jobRun.findUnique({ where: { id } });
  return row ? view(row) : undefined;
}

/** Latest runs first, for the console. */
export async function listJobRuns(filter: { job?: JobKind; limit?: number } = {}): Promise<JobRunView[]> {
  const rows = await (await db()).jobRun.findMany({
    where: filter.job ? { job: filter.job } : undefined,
    orderBy: { startedAt: "desc" },
    take: Math.min(Math.max(filter.limit ?? 50, 1), 500),
  });
  return rows.map(view);
}
