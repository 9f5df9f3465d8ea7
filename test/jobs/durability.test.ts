import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { flushTokenUse, recordTokenUse } from "@/lib/jobs/record-token-use";
import { drainEvents, sendEvents } from "@/lib/jobs/send";
import { insertCustomToken, startTestRunner, usageOf, waitFor } from "@/test/jobs/support";

const future = () => new Date(Date.now() + 3_600_000);

test("events accepted while no runner runs are kept in the queue table and processed after a (re)start", async () => {
  const token = await insertCustomToken({ subject: `durable-${randomUUID()}`, expiresAt: future() });
  for (let i = 0; i < 5; i++) recordTokenUse("custom", token.jwtUuid);
  flushTokenUse();
  await drainEvents();
  const client = await db();
  const queued = await client.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM tim.job_queue
     WHERE function_id = 'token-usage' AND event @> ${JSON.stringify({ data: { uses: [{ jwt_uuid: token.jwtUuid, count: 5 }] } })}::jsonb`;
  // the five uses travel as one event; nothing ran it yet (another test file's runner may on a shared PostgreSQL database)
  if (!process.env.DATABASE_URL) expect(queued[0].n).toBe(1);

  const runner = await startTestRunner();
  try {
    const row = await waitFor(async () => {
      const r = await usageOf("custom", token.jwtUuid);
      return r.useCount === 5 && r;
    });
    expect(row.useCount).toBe(5);
  } finally {
    await runner.stop();
  }
});

test("a run interrupted half-way resumes after its completed steps when a runner starts again", async () => {
  const subject = `resume-${randomUUID()}`;
  const client = await db();
  // A retention run whose process stopped after its "begin" step: its owner gone.
  await sendEvents([{ name: "tim/retention.requested", data: { requested_by: subject } }]);
  await drainEvents();
  const [queued] = await client.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM tim.job_queue WHERE function_id = 'retention'
       AND event @> ${JSON.stringify({ data: { requested_by: subject } })}::jsonb`;
  expect(queued).toBeDefined();

  const runner = await startTestRunner();
  try {
    const run = await waitFor(async () => {
      const r = await client.jobRun.findFirst({ where: { job: "retention", requestedBy: subject } });
      return r?.finishedAt ? r : undefined;
    });
    expect(run.status).toBe("succeeded");
  } finally {
    await runner.stop();
  }
  // Replaying the finished execution from its stored steps creates no second job run. It is made
  // "running" for an owner that holds no lock (a process that died).
  await client.$executeRaw`
    UPDATE tim.job_executions SET status = 'running', owner_key = 1, updated_at = now()
     WHERE function_id = 'retention' AND events @> ${JSON.stringify([{ data: { requested_by: subject } }])}::jsonb`;
  const again = await startTestRunner();
  try {
    await waitFor(async () => {
      const rows = await client.$queryRaw<Array<{ status: string }>>`
        SELECT status FROM tim.job_executions
         WHERE function_id = 'retention' AND events @> ${JSON.stringify([{ data: { requested_by: subject } }])}::jsonb`;
      return rows[0]?.status === "completed";
    });
  } finally {
    await again.stop();
  }
  expect(await client.jobRun.count({ where: { job: "retention", requestedBy: subject } })).toBe(1);
});
