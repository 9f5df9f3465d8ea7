import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, test } from "vitest";
import { defineJob } from "@/lib/jobs/define";
import { db } from "@/lib/db/client";
import { acquireSlot, claimOwner, owner, releaseSlot } from "@/lib/jobs/runner/instance";
import { requeueOrphaned } from "@/lib/jobs/runner/queue";
import { JobRunner } from "@/lib/jobs/runner/runner";
import { failOrphanedJobRuns, getJobRun, startJobRun } from "@/lib/jobs/runs";
import { waitFor } from "@/test/jobs/support";

// The embedded runner's mechanics for several instances on one database. On PostgreSQL another
// instance is stood in for by a connection of the test's own holding that instance's locks; on
// PGlite there is only this process, so any other owner is dead.
const onPostgres = Boolean(process.env.DATABASE_URL);
const foreignKey = () => String(BigInt(Math.floor(Math.random() * 2 ** 48)) + 1n);

async function foreignSession(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  return c;
}

async function insertRunning(ownerKey: string): Promise<string> {
  const rows = await (await db()).$queryRaw<Array<{ id: string }>>`
    INSERT INTO tim.job_executions (function_id, events, max_attempts, status, owner_key, owner_name)
    VALUES (${`test-${randomUUID()}`}, '[]'::jsonb, 1, 'running', ${ownerKey}::bigint, 'elsewhere:1') RETURNING id::text`;
  return rows[0].id;
}

const statusOf = async (id: string) => (await (await db()).jobExecution.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;

describe("one execution per cron tick", () => {
  const table = `tim_test_tick_${randomUUID().replace(/-/g, "")}`;
  const ticker = defineJob({
    id: `test-tick-${randomUUID()}`,
    name: "test tick",
    trigger: { cron: "* * * * * *" },
    retries: 0,
    handler: async ({ event, step }) =>
      step.run("record-tick", async () => (await db()).$executeRawUnsafe(`INSERT INTO public.${table} (ts) VALUES ($1)`, new Date(event.ts ?? 0))),
  });
  beforeAll(async () => void (await (await db()).$executeRawUnsafe(`CREATE TABLE public.${table} (ts timestamptz)`)));
  afterAll(async () => void (await (await db()).$executeRawUnsafe(`DROP TABLE public.${table}`)));

  test("three runners firing the same schedule run each tick once", async () => {
    const runners = [0, 1, 2].map(() => new JobRunner([ticker], { pollMs: 200 }));
    await Promise.all(runners.map((r) => r.start()));
    let ticks: Array<{ ts: Date; n: number }>;
    try {
      ticks = await waitFor(async () => {
        const r = await (await db()).$queryRawUnsafe<Array<{ ts: Date; n: number }>>(
          `SELECT ts, count(*)::int AS n FROM public.${table} GROUP BY ts ORDER BY ts`,
        );
        return r.length >= 3 && r;
      }, 10_000);
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
    }
    expect(ticks.map((t) => t.n)).toEqual(ticks.map(() => 1));
    const executions = await (await db()).jobExecution.groupBy({
      by: ["scheduledFor"],
      where: { functionId: ticker.id },
      _count: true,
    });
    expect(executions.every((e) => e._count === 1)).toBe(true);
  });
});

describe("liveness: a running row belongs to a live owner or is taken over", () => {
  it.runIf(onPostgres)("PostgreSQL: requeued once its owner's session lock is free, not before", async () => {
    const key = foreignKey();
    const other = await foreignSession();
    await other.query("SELECT pg_advisory_lock($1::bigint)", [key]);
    const id = await insertRunning(key);
    await requeueOrphaned();
    expect(await statusOf(id)).toBe("running");
    await other.end(); // the process dies: PostgreSQL releases its session locks
    await waitFor(async () => (await requeueOrphaned()) >= 0 && (await statusOf(id)) === "queued", 5_000);
    const row = await (await db()).jobExecution.findUniqueOrThrow({ where: { id } });
    expect(row.ownerKey).toBeNull();
  });

  it.runIf(!onPostgres)("PGlite: another owner is a previous process of this directory, so its run is requeued", async () => {
    const id = await insertRunning(foreignKey());
    await requeueOrphaned();
    expect(await statusOf(id)).toBe("queued");
  });

  test("this process's own running rows are never requeued", async () => {
    const me = await claimOwner();
    const id = await insertRunning(me.key);
    await requeueOrphaned();
    expect(await statusOf(id)).toBe("running");
    await (await db()).jobExecution.delete({ where: { id } });
  });

  test("a job run started outside the runner (CLI) carries this process as owner", async () => {
    const id = await startJobRun({ job: "retention", trigger: "manual", requestedBy: "test" });
    const row = await (await db()).jobRun.findUniqueOrThrow({ where: { id } });
    expect(row.ownerKey?.toString()).toBe(owner().key);
    await failOrphanedJobRuns();
    expect((await getJobRun(id))?.status).toBe("running");
  });

  it.runIf(onPostgres)("PostgreSQL: a CLI job run whose process died is marked failed", async () => {
    const key = foreignKey();
    const other = await foreignSession();
    await other.query("SELECT pg_advisory_lock($1::bigint)", [key]);
    const id = await startJobRun({ job: "retention", trigger: "manual", requestedBy: "test" });
    await (await db()).jobRun.update({ where: { id }, data: { ownerKey: BigInt(key) } });
    await failOrphanedJobRuns();
    expect((await getJobRun(id))?.status).toBe("running");
    await other.end();
    const failed = await waitFor(async () => {
      await failOrphanedJobRuns();
      const r = await getJobRun(id);
      return r?.status === "failed" && r;
    }, 5_000);
    expect(failed.error).toMatch(/process running this job stopped/);
    expect(failed.finishedAt).not.toBeNull();
  });

  it.runIf(!onPostgres)("PGlite: a CLI job run of another (earlier) process is marked failed", async () => {
    const id = await startJobRun({ job: "retention", trigger: "manual", requestedBy: "test" });
    await (await db()).jobRun.update({ where: { id }, data: { ownerKey: BigInt(foreignKey()) } });
    await failOrphanedJobRuns();
    expect((await getJobRun(id))?.status).toBe("failed");
  });
});

describe("concurrency limits across instances", () => {
  it.runIf(onPostgres)("PostgreSQL: slots held by another instance count against the limit", async () => {
    const key = `fn:test-${randomUUID()}`;
    const other = await foreignSession();
    try {
      await other.query("SELECT pg_advisory_lock(hashtext('tim.job_slot') # hashtext($1), 0)", [key]);
      const mine = await acquireSlot(key, 2);
      expect(mine).toBe(`${key}#1`);
      expect(await acquireSlot(key, 2)).toBeUndefined();
      await releaseSlot(mine!);
      expect(await acquireSlot(key, 1)).toBeUndefined(); // slot 0 is still the other instance's
      await other.query("SELECT pg_advisory_unlock(hashtext('tim.job_slot') # hashtext($1), 0)", [key]);
      const freed = await acquireSlot(key, 1);
      expect(freed).toBe(`${key}#0`);
      await releaseSlot(freed!);
    } finally {
      await other.end();
    }
  });

  it.runIf(onPostgres)("PostgreSQL: concurrent claims in one process win a slot once, and its release frees it for others", async () => {
    const key = `fn:test-${randomUUID()}`;
    // Advisory locks are re-entrant within the owner's session: interleaved claims must not both win.
    const claims = await Promise.all(Array.from({ length: 8 }, () => acquireSlot(key, 1)));
    expect(claims.filter(Boolean)).toEqual([`${key}#0`]);
    await releaseSlot(`${key}#0`);
    const other = await foreignSession();
    try {
      const r = await other.query("SELECT pg_try_advisory_lock(hashtext('tim.job_slot') # hashtext($1), 0) AS ok", [key]);
      expect(r.rows[0].ok).toBe(true);
    } finally {
      await other.end();
    }
  });

  it.runIf(!onPostgres)("PGlite: one process, whose workers run serially, always has the slot", async () => {
    expect(await acquireSlot("fn:any", 1)).toBe("local");
  });
});
