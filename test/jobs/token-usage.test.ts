import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { recordTokenUse } from "@/lib/jobs/record-token-use";
import { applyTokenUsage } from "@/lib/jobs/token-usage";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { failFirst } from "@/test/jobs/failure";
import { insertCustomToken, insertTaraToken, startTestRunner, usageOf, waitFor } from "@/test/jobs/support";

let runner: JobRunnerHandle;
beforeAll(async () => {
  runner = await startTestRunner();
});
afterAll(async () => runner.stop());

const future = () => new Date(Date.now() + 3_600_000);

test("a batch of one usage event sets last_used_at and use_count", async () => {
  const token = await insertCustomToken({ subject: `usage-one-${randomUUID()}`, expiresAt: future() });
  const usedAt = new Date(Date.now() - 1_000);
  recordTokenUse("custom", token.jwtUuid, usedAt);
  const row = await waitFor(async () => {
    const r = await usageOf("custom", token.jwtUuid);
    return r.useCount > 0 && r;
  });
  expect(row.useCount).toBe(1);
  expect(row.lastUsedAt?.toISOString()).toBe(usedAt.toISOString());
});

test("a batch of many events across both token types is applied by one run, counting every use", async () => {
  const subject = `usage-many-${randomUUID()}`;
  const custom = await Promise.all([1, 2, 3].map(() => insertCustomToken({ subject, expiresAt: future() })));
  const tara = await insertTaraToken({ subject, expiresAt: future() });
  const base = Date.now() - 60_000;
  // 3 custom tokens used 10, 20, 30 times; the TARA token 7 times
  const uses: Array<["custom" | "tara", string, Date]> = [];
  custom.forEach((t, i) => {
    for (let n = 0; n < (i + 1) * 10; n++) uses.push(["custom", t.jwtUuid, new Date(base + n * 1_000)]);
  });
  for (let n = 0; n < 7; n++) uses.push(["tara", tara.jwtUuid, new Date(base + n * 1_000)]);
  const client = await db();
  const effectsBefore = await client.jobEffect.count({ where: { key: { endsWith: ":apply-usage" } } });
  for (const [type, uuid, at] of uses) recordTokenUse(type, uuid, at);

  await waitFor(async () => {
    const t = await usageOf("tara", tara.jwtUuid);
    const c = await Promise.all(custom.map((r) => usageOf("custom", r.jwtUuid)));
    return t.useCount === 7 && c.every((r) => r.useCount > 0);
  });
  const rows = await Promise.all(custom.map((r) => usageOf("custom", r.jwtUuid)));
  const byUuid = new Map(rows.map((r) => [r.jwtUuid, r]));
  custom.forEach((t, i) => {
    const r = byUuid.get(t.jwtUuid)!;
    expect(r.useCount).toBe((i + 1) * 10);
    expect(r.lastUsedAt?.toISOString()).toBe(new Date(base + ((i + 1) * 10 - 1) * 1_000).toISOString());
  });
  // the 67 uses were collected into one event, so one run applied them: one effect key for the whole batch
  // (exact on PGlite; on a shared PostgreSQL database other test files add keys meanwhile)
  const applied = (await client.jobEffect.count({ where: { key: { endsWith: ":apply-usage" } } })) - effectsBefore;
  if (!process.env.DATABASE_URL) expect(applied).toBe(1);
  else expect(applied).toBeGreaterThanOrEqual(1);
});

test("a failed usage batch is retried and every use is counted exactly once", async () => {
  const subject = `usage-retry-${randomUUID()}`;
  const failing = await insertCustomToken({ subject, expiresAt: future() });
  const other = await insertCustomToken({ subject: `${subject}-other`, expiresAt: future() });
  const failure = await failFirst({ table: "custom.token_usage", timing: "BEFORE INSERT", jwtUuid: failing.jwtUuid });
  try {
    for (let i = 0; i < 4; i++) recordTokenUse("custom", failing.jwtUuid);
    for (let i = 0; i < 3; i++) recordTokenUse("custom", other.jwtUuid);
    const client = await db();
    await waitFor(async () => {
      const r = await usageOf("custom", failing.jwtUuid);
      return r.useCount > 0;
    });
    // the trigger ran more than once: the first attempt failed, a retry succeeded
    expect(await failure.calls()).toBe(2);
    await waitFor(async () => {
      const rows = await client.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM tim.job_executions
         WHERE function_id = 'token-usage'
           AND events @> ${JSON.stringify([{ data: { uses: [{ jwt_uuid: other.jwtUuid }] } }])}::jsonb`;
      return rows[0].n === 0;
    });
    const after = await Promise.all([failing.jwtUuid, other.jwtUuid].map((u) => usageOf("custom", u)));
    const count = Object.fromEntries(after.map((r) => [r.jwtUuid, r.useCount]));
    expect(count[failing.jwtUuid]).toBe(4);
    expect(count[other.jwtUuid]).toBe(3);
  } finally {
    await failure.remove();
  }
});

test("a usage batch applied once is not applied again when its step is replayed", async () => {
  const token = await insertCustomToken({ subject: `usage-replay-${randomUUID()}`, expiresAt: future() });
  const uses = [{ token_type: "custom" as const, jwt_uuid: token.jwtUuid, count: 1, last_used_at: new Date().toISOString() }];
  const key = `test-run-${randomUUID()}:apply-usage`;
  expect(await applyTokenUsage(uses, key)).toMatchObject({ applied: true, custom: 1 });
  expect(await applyTokenUsage(uses, key)).toMatchObject({ applied: false, custom: 0 });
  const row = await usageOf("custom", token.jwtUuid);
  expect(row.useCount).toBe(1);
});
