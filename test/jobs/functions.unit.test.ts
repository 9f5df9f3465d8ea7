import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import type { EventPayload } from "inngest";
import { afterAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { defineBulkJob, type BulkJobHandler } from "@/lib/jobs/bulk";
import { events as eventTypes } from "@/lib/jobs/events";
import { inngestFunctions, toInngestFunction } from "@/lib/jobs/inngest/functions";
import { requestBulkJob } from "@/lib/jobs/request-bulk-job";
import { getJobRun } from "@/lib/jobs/runs";
import { drainEvents } from "@/lib/jobs/send";
import { daysAgo, hash, insertCustomToken, usageOf } from "@/test/jobs/support";

// Each job of the registry run once through the Inngest provider (the SDK's
// createFunction) with @inngest/test, against the real database.
const fn = (id: string) => inngestFunctions.find((f) => f.id() === id)!;
const tokenUsage = fn("token-usage");
const readAudit = fn("read-audit");
const persistMetadata = fn("persist-metadata");
const retention = fn("retention");
const archivePurge = fn("archive-purge");

afterAll(async () => {
  await drainEvents();
});

const future = () => new Date(Date.now() + 3_600_000);

test("token-usage: one step applies the whole batch", async () => {
  const token = await insertCustomToken({ subject: `unit-usage-${randomUUID()}`, expiresAt: future() });
  const use = { token_type: "custom", jwt_uuid: token.jwtUuid, count: 2, last_used_at: new Date().toISOString() };
  const used = { name: "tim/token.used", data: { uses: [use] } };
  const t = new InngestTestEngine({ function: tokenUsage, events: [used, used, used] });
  const { result, ctx } = await t.execute();
  expect(result).toMatchObject({ applied: true, custom: 1, tara: 0 });
  expect(ctx.step.run).toHaveBeenCalledTimes(1);
  expect(ctx.step.run).toHaveBeenCalledWith("apply-usage", expect.any(Function));
  const row = await usageOf("custom", token.jwtUuid);
  expect(row.useCount).toBe(6);
});

test("token-usage: an event that does not match its zod schema fails the run before any step", async () => {
  const t = new InngestTestEngine({
    function: tokenUsage,
    events: [{ name: "tim/token.used", data: { uses: [{ token_type: "other", jwt_uuid: "x", count: 0, last_used_at: "yesterday" }] } }],
  });
  const { error, ctx } = await t.execute();
  expect(error).toMatchObject({ name: "EventValidationError" });
  expect(ctx.step.run).not.toHaveBeenCalled();
});

test("read-audit: the batch goes to the audit trail in one transaction", async () => {
  const requestId = `unit-read-${randomUUID()}`;
  const read = {
    name: "tim/token.read",
    data: {
      at: new Date().toISOString(),
      endpoint: "introspect",
      actor: "client-b",
      actor_kind: "api_client",
      token_type: "tara",
      jwt_uuid: randomUUID(),
      result: "active",
      request_id: requestId,
    },
  };
  const { result } = await new InngestTestEngine({ function: readAudit, events: [read, read] }).execute();
  expect(result).toEqual({ written: 2 });
  expect(await (await db()).audit.count({ where: { requestId, action: "token.introspect" } })).toBe(2);
});

test("persist-metadata: inserts the batch, skipping a jwt_uuid already stored", async () => {
  const subject = `unit-meta-${randomUUID()}`;
  const existing = await insertCustomToken({ subject, expiresAt: future() });
  const jwtUuid = randomUUID();
  const record = (uuid: string) => ({
    jwtUuid: uuid,
    claimKeys: "sub",
    issuedAt: new Date().toISOString(),
    expiresAt: future().toISOString(),
    subject,
    originalJwtUuid: uuid,
    claimsJson: { sub: subject },
    tokenHash: hash(`unit-${uuid}`),
  });
  const events: [EventPayload, EventPayload] = [
    { name: "tim/metadata.persist", data: { token_type: "custom", record: record(jwtUuid) } },
    { name: "tim/metadata.persist", data: { token_type: "custom", record: record(existing.jwtUuid) } },
  ];
  const { result } = await new InngestTestEngine({ function: persistMetadata, events }).execute();
  expect(result).toEqual({ custom: 1, tara: 0, refused: 0 });
  expect(await (await db()).customJwtMetadata.count({ where: { subject } })).toBe(2);
});

test("retention: begin, chunks and finish are steps; the run is recorded", async () => {
  const subject = `unit-ret-${randomUUID()}`;
  const old = await insertCustomToken({ subject, expiresAt: daysAgo(400) });
  const { result, ctx } = await new InngestTestEngine({
    function: retention,
    events: [{ name: "tim/retention.requested", data: { requested_by: subject } }],
  }).execute();
  const { runId } = result as { runId: string };
  expect(ctx.step.run).toHaveBeenCalledWith("begin", expect.any(Function));
  expect(ctx.step.run).toHaveBeenCalledWith("archive-batches", expect.any(Function));
  expect(ctx.step.run).toHaveBeenCalledWith("finish", expect.any(Function));
  expect(await getJobRun(runId)).toMatchObject({ status: "succeeded", trigger: "console", requestedBy: subject });
  expect(await (await db()).customJwtMetadataArchive.count({ where: { jwtUuid: old.jwtUuid } })).toBe(1);
});

test("archive-purge: a cron run records its counts", async () => {
  const { result } = await new InngestTestEngine({
    function: archivePurge,
    events: [{ name: "inngest/scheduled.timer", data: { cron: "30 4 * * *" } }],
  }).execute();
  const { runId } = result as { runId: string };
  expect(await getJobRun(runId)).toMatchObject({ job: "archive_purge", trigger: "cron", status: "succeeded" });
});

test("bulk jobs: chunks run through the job's handler with progress", async () => {
  const subject = `unit-bulk-${randomUUID()}`;
  const tokens = await Promise.all(Array.from({ length: 23 }, () => insertCustomToken({ subject, expiresAt: future() })));
  const client = await db();
  // a bulk job of the test's own: denylists this subject's tokens, 10 per chunk
  const handler: BulkJobHandler = {
    count: async () => client.customJwtMetadata.count({ where: { subject } }),
    chunk: async (_params, cursor) => {
      const rows = await client.customJwtMetadata.findMany({
        where: { subject, ...(cursor ? { jwtUuid: { gt: cursor } } : {}) },
        orderBy: { jwtUuid: "asc" },
        take: 10,
      });
      await client.customDenylist.createMany({
        data: rows.map((r) => ({ jwtUuid: r.jwtUuid, expiresAt: r.expiresAt, reason: "test", revokedBy: "unit" })),
        skipDuplicates: true,
      });
      return { processed: rows.length, cursor: rows.at(-1)?.jwtUuid ?? cursor, done: rows.length < 10 };
    },
    finish: async () => ({ revoked: tokens.length }),
  };
  const massRevocation = toInngestFunction(
    defineBulkJob({ kind: "mass_revocation", handler }, { id: `test-bulk-${randomUUID()}`, name: "test bulk", event: eventTypes.revocationRequested }),
  );
  const runId = await requestBulkJob("mass_revocation", { requestedBy: "unit-admin", params: { subject } });
  expect(await getJobRun(runId)).toMatchObject({ status: "queued", job: "mass_revocation" });

  const { result } = await new InngestTestEngine({
    function: massRevocation,
    events: [{ name: "tim/revocation.requested", data: { run_id: runId } }],
  }).execute();
  expect(result).toEqual({ runId, processed: 23 });
  expect(await getJobRun(runId)).toMatchObject({
    status: "succeeded",
    progressDone: 23,
    progressTotal: 23,
    result: { revoked: 23 },
  });
  expect(await client.customDenylist.count({ where: { jwtUuid: { in: tokens.map((t) => t.jwtUuid) } } })).toBe(23);

  expect(inngestFunctions.map((f) => f.id())).toEqual(expect.arrayContaining(["large-export", "mass-revocation"]));
});
