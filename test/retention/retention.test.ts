import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { getJobRun } from "@/lib/jobs/runs";
import { sendEvents } from "@/lib/jobs/send";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { runRetention } from "@/lib/retention/run";
import { recentRetentionRuns, requestRetentionRun } from "@/lib/retention/request-run";
import { MIN_RETENTION_DAYS, getRetentionSettings, setRetentionSettings } from "@/lib/retention/settings";
import { resetConfig } from "@/lib/config/env";
import { daysAgo, insertCustomChain, insertCustomToken, insertTaraToken, startTestRunner, waitFor } from "@/test/jobs/support";
import { failFirst } from "@/test/jobs/failure";
import { insertTokenRows } from "@/test/support/token-row";

// Tests in this file change the global retention setting, so they run in order.
const exactCounts = !process.env.DATABASE_URL; // PostgreSQL runs share one database between test files

let runner: JobRunnerHandle;
beforeAll(async () => {
  await setRetentionSettings("test-admin", { customDays: 7, taraDays: 20 });
  runner = await startTestRunner();
});
afterAll(async () => runner.stop());

const NEVER_USED = { useCount: 0, lastUsedAt: null };
const columnsOf = (row: Record<string, unknown>) => {
  const { archivedAt: _archivedAt, ...rest } = row;
  return rest;
};

test("retention days come from the environment, can be overridden per token type, and are at least 7 days", async () => {
  const settings = await getRetentionSettings();
  expect(settings).toMatchObject({
    customDays: 7,
    taraDays: 20,
    source: "settings",
    sources: { customDays: "console", taraDays: "console" },
    updatedBy: "test-admin",
  });
  await expect(setRetentionSettings("test-admin", { customDays: 0 })).rejects.toBeInstanceOf(TimError);
  await expect(setRetentionSettings("test-admin", { taraDays: 0 })).rejects.toMatchObject({ status: 400 });
  await expect(setRetentionSettings("test-admin", { customDays: MIN_RETENTION_DAYS - 1 })).rejects.toMatchObject({
    status: 400,
    message: expect.stringMatching(/at least 7 days/),
  });
  await expect(setRetentionSettings("test-admin", { customDays: 7.5 })).rejects.toMatchObject({ status: 400 });
  expect((await getRetentionSettings()).customDays).toBe(7);
});

test("each type's source: TIM's default, the environment, or the console", async () => {
  const prisma = await db();
  const saved = await prisma.setting.findUnique({ where: { key: "retention" } });
  process.env.TIM_RETENTION_TARA_DAYS = "45";
  resetConfig();
  try {
    await prisma.setting.delete({ where: { key: "retention" } });
    const fromEnv = await getRetentionSettings();
    expect(fromEnv).toMatchObject({ taraDays: 45, source: "environment", sources: { customDays: "default", taraDays: "environment" } });
    // A stored override of one type leaves the other's source alone.
    await prisma.setting.create({ data: { key: "retention", value: { customDays: 9 }, updatedBy: "test-admin" } });
    expect((await getRetentionSettings()).sources).toEqual({ customDays: "console", taraDays: "environment" });
    // The console's form sends both values: the unchanged one keeps its source.
    const saved2 = await setRetentionSettings("test-admin", { customDays: 10, taraDays: 45 });
    expect(saved2).toMatchObject({ customDays: 10, taraDays: 45, sources: { customDays: "console", taraDays: "environment" } });
  } finally {
    delete process.env.TIM_RETENTION_TARA_DAYS;
    resetConfig();
    await prisma.setting.upsert({
      where: { key: "retention" },
      create: { key: "retention", value: saved!.value!, updatedBy: "test-admin" },
      update: { value: saved!.value! },
    });
  }
  expect(await getRetentionSettings()).toMatchObject({ customDays: 7, taraDays: 20 });
});

test("a change of the retention days and its audit row are one transaction", async () => {
  const requestId = `req-ret-${randomUUID()}`;
  await setRetentionSettings("test-admin", { customDays: 8 }, { reason: "longer", requestId });
  const audit = await (await db()).audit.findFirstOrThrow({ where: { requestId } });
  expect(audit).toMatchObject({ action: "settings.retention.update", actorId: "test-admin", reason: "longer" });
  expect(audit.target).toEqual({ before: { customDays: 7, taraDays: 20 }, after: { customDays: 8, taraDays: 20 } });
  // an audit row the trail refuses (a NUL byte) takes the change with it
  await expect(setRetentionSettings("test-admin", { customDays: 9 }, { reason: "nul\u0000byte" })).rejects.toThrow();
  expect((await getRetentionSettings()).customDays).toBe(8);
  await setRetentionSettings("test-admin", { customDays: 7 });
});

test("run now: the request goes through the job registry to the retention job, audited; its run lists with counts", async () => {
  const requestId = `req-run-${randomUUID()}`;
  const before = new Date();
  await requestRetentionRun("EE38001085718", { requestId });
  const audit = await (await db()).audit.findFirstOrThrow({ where: { requestId } });
  expect(audit).toMatchObject({ action: "retention.run_requested", actorType: "administrator", actorId: "EE38001085718" });
  const run = await waitFor(
    async () => (await recentRetentionRuns(20)).find((r) => r.requestedBy === "EE38001085718" && r.startedAt >= before && r.status === "succeeded"),
    60_000,
  );
  expect(run).toMatchObject({ job: "retention", trigger: "console" });
  expect(Object.keys(run!.counts)).toEqual(expect.arrayContaining(["custom.jwt_metadata", "tara.jwt_metadata"]));
});

test("custom and TARA retention apply separately; archived rows equal the deleted ones", async () => {
  const subject = `ret-types-${randomUUID()}`;
  const customOld = await insertCustomToken({ subject, expiresAt: daysAgo(10) }); // past 7 days
  const customRecent = await insertCustomToken({ subject, expiresAt: daysAgo(3) }); // within 7 days
  const taraMid = await insertTaraToken({ subject, expiresAt: daysAgo(10) }); // within 20 days
  const taraOld = await insertTaraToken({ subject, expiresAt: daysAgo(25) }); // past 20 days
  // the usage counters kept beside a metadata row are archived with it
  const usedAt = daysAgo(11);
  await (await db()).customTokenUsage.create({ data: { jwtUuid: customOld.jwtUuid, useCount: 9, lastUsedAt: usedAt } });

  const state = await runRetention({ trigger: "manual", requestedBy: "test" });

  const client = await db();
  const customLeft = await client.customJwtMetadata.findMany({ where: { subject } });
  const taraLeft = await client.taraJwtMetadata.findMany({ where: { subject } });
  expect(customLeft.map((r) => r.jwtUuid)).toEqual([customRecent.jwtUuid]);
  expect(taraLeft.map((r) => r.jwtUuid)).toEqual([taraMid.jwtUuid]);

  const customArchived = await client.customJwtMetadataArchive.findMany({ where: { subject } });
  const taraArchived = await client.taraJwtMetadataArchive.findMany({ where: { subject } });
  expect(customArchived.map(columnsOf)).toEqual([{ ...customOld, useCount: 9, lastUsedAt: usedAt }]);
  expect(taraArchived.map(columnsOf)).toEqual([{ ...taraOld, ...NEVER_USED }]);
  expect(await client.customTokenUsage.count({ where: { jwtUuid: customOld.jwtUuid } })).toBe(0);

  const run = await getJobRun(state.runId);
  expect(run).toMatchObject({ job: "retention", trigger: "manual", status: "succeeded", error: null });
  expect(run!.finishedAt!.getTime()).toBeGreaterThanOrEqual(run!.startedAt.getTime());
  expect(run!.params).toMatchObject({ customDays: 7, taraDays: 20 });
  if (exactCounts) {
    expect(run!.counts).toMatchObject({ "custom.jwt_metadata": 1, "tara.jwt_metadata": 1 });
  } else {
    expect(run!.counts["custom.jwt_metadata"]).toBeGreaterThanOrEqual(1);
  }
});

test("an extension chain is kept whole until its newest member is past retention", async () => {
  const subject = `ret-chain-${randomUUID()}`;
  const live = await insertCustomChain(subject, [daysAgo(40), daysAgo(30), daysAgo(2)]);
  const dead = await insertCustomChain(subject, [daysAgo(40), daysAgo(30), daysAgo(20)]);

  await runRetention({ trigger: "manual" });

  const client = await db();
  const left = await client.customJwtMetadata.findMany({ where: { subject }, orderBy: { expiresAt: "asc" } });
  expect(left.map((r) => r.jwtUuid)).toEqual(live.map((r) => r.jwtUuid));
  const archived = await client.customJwtMetadataArchive.findMany({ where: { subject }, orderBy: { expiresAt: "asc" } });
  expect(archived.map(columnsOf)).toEqual(dead.map((r) => ({ ...r, ...NEVER_USED })));
  // the archived chain keeps its links
  expect(archived[2].supersedes).toBe(dead[1].jwtUuid);
  expect(new Set(archived.map((r) => r.originalJwtUuid))).toEqual(new Set([dead[0].jwtUuid]));
});

test("tokens whose hash is allowlisted are kept, and so is the rest of their chain", async () => {
  const subject = `ret-allow-${randomUUID()}`;
  const single = await insertCustomToken({ subject, expiresAt: daysAgo(60) });
  const chain = await insertCustomChain(subject, [daysAgo(60), daysAgo(50)]);
  const tara = await insertTaraToken({ subject, expiresAt: daysAgo(60) });
  const plain = await insertCustomToken({ subject, expiresAt: daysAgo(60) });
  const client = await db();
  await client.customAllowlist.create({
    data: { jwtHash: single.tokenHash!, jwtUuid: single.jwtUuid, expiresAt: single.expiresAt },
  });
  // only the oldest version of the chain is allowlisted
  await client.customAllowlist.create({
    data: { jwtHash: chain[0].tokenHash!, jwtUuid: chain[0].jwtUuid, expiresAt: chain[0].expiresAt },
  });
  await client.taraAllowlist.create({ data: { jwtHash: tara.tokenHash!, jwtUuid: tara.jwtUuid, expiresAt: tara.expiresAt } });

  await runRetention({ trigger: "manual" });

  const left = await client.customJwtMetadata.findMany({ where: { subject } });
  expect(new Set(left.map((r) => r.jwtUuid))).toEqual(new Set([single.jwtUuid, ...chain.map((r) => r.jwtUuid)]));
  expect(await client.taraJwtMetadata.count({ where: { subject } })).toBe(1);
  expect((await client.customJwtMetadataArchive.findMany({ where: { subject } })).map((r) => r.jwtUuid)).toEqual([plain.jwtUuid]);
});

test("denylist rows of expired tokens are removed; those of live tokens stay", async () => {
  const client = await db();
  const expired = randomUUID();
  const live = randomUUID();
  const expiredTara = randomUUID();
  await client.customDenylist.createMany({
    data: [
      { jwtUuid: expired, expiresAt: daysAgo(1), reason: "test" },
      { jwtUuid: live, expiresAt: new Date(Date.now() + 3_600_000), reason: "test" },
    ],
  });
  await client.taraDenylist.create({ data: { jwtUuid: expiredTara, expiresAt: daysAgo(1) } });

  const state = await runRetention({ trigger: "manual" });

  expect(await client.customDenylist.findUnique({ where: { jwtUuid: expired } })).toBeNull();
  expect(await client.taraDenylist.findUnique({ where: { jwtUuid: expiredTara } })).toBeNull();
  expect(await client.customDenylist.findUnique({ where: { jwtUuid: live } })).not.toBeNull();
  const run = await getJobRun(state.runId);
  expect(run!.counts["custom.denylist"]).toBeGreaterThanOrEqual(1);
  expect(run!.counts["tara.denylist"]).toBeGreaterThanOrEqual(1);
});

test("more rows than one batch are archived in several batches of at most 1,000", async () => {
  const subject = `ret-many-${randomUUID()}`;
  const client = await db();
  const expiresAt = daysAgo(15);
  const rows = Array.from({ length: 2_345 }, (_, i) => ({
    issuedAt: new Date(expiresAt.getTime() - 3_600_000),
    expiresAt: new Date(expiresAt.getTime() + i),
    subject,
    audience: null,
    issuer: null,
    claimsJson: { sub: subject },
  }));
  await insertTokenRows("custom", rows, client);

  const state = await runRetention({ trigger: "manual" });

  expect(await client.customJwtMetadata.count({ where: { subject } })).toBe(0);
  expect(await client.customJwtMetadataArchive.count({ where: { subject } })).toBe(rows.length);
  if (exactCounts) expect(state.counts["custom.jwt_metadata"]).toBe(rows.length);
  // batches of ≤ 1,000: the archive was written by at least three separate statements
  const stamps = await client.$queryRaw<Array<{ n: number }>>`
    SELECT count(DISTINCT archived_at)::int AS n FROM custom.jwt_metadata_archive WHERE subject = ${subject}`;
  expect(stamps[0].n).toBeGreaterThanOrEqual(3);
});

test("retention through the runner retries after a real failure without archiving anything twice", async () => {
  const subject = `ret-retry-${randomUUID()}`;
  const custom = await insertCustomToken({ subject, expiresAt: daysAgo(40) });
  const tara = await insertTaraToken({ subject, expiresAt: daysAgo(40) });
  const client = await db();
  // The first DELETE of this subject's TARA row fails in the database.
  const failure = await failFirst({ table: "tara.jwt_metadata", timing: "BEFORE DELETE", subject });
  try {
    await sendEvents([{ name: "tim/retention.requested", data: { requested_by: subject } }]);
    const run = await waitFor(async () => {
      const r = await client.jobRun.findFirst({ where: { job: "retention", requestedBy: subject } });
      return r?.finishedAt ? r : undefined;
    });
    expect(run.status).toBe("succeeded");
    expect(run.trigger).toBe("console");

    const execution = await waitFor(async () => {
      const rows = await client.$queryRaw<Array<{ attempt: number; status: string; last_error: string }>>`
        SELECT attempt, status, last_error FROM tim.job_executions
         WHERE function_id = 'retention' AND events @> ${JSON.stringify([{ data: { requested_by: subject } }])}::jsonb`;
      return rows.length === 1 && rows[0].status !== "running" && rows;
    });
    expect(execution[0]).toMatchObject({ attempt: 1, status: "completed" });
    expect(execution[0].last_error).not.toMatch(/injected|DELETE|SELECT/);

    expect(await client.customJwtMetadataArchive.count({ where: { jwtUuid: custom.jwtUuid } })).toBe(1);
    expect(await client.taraJwtMetadataArchive.count({ where: { jwtUuid: tara.jwtUuid } })).toBe(1);
    expect(await client.taraJwtMetadata.count({ where: { subject } })).toBe(0);
    if (exactCounts) {
      expect(run.counts).toMatchObject({ "custom.jwt_metadata": 1, "tara.jwt_metadata": 1 });
    }
  } finally {
    await failure.remove();
  }
});
