import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { getJobRun } from "@/lib/jobs/runs";
import { CHUNK_BYTES } from "@/lib/files/stored-file";
import { appendStoredFile, createStoredFile } from "@/lib/files/write";
import { runRetention } from "@/lib/retention/run";
import { STATE_CLEANUP_BATCH_SIZE } from "@/lib/tara/state-cleanup";
import { daysAgo, insertTaraToken } from "@/test/jobs/support";

// Expired TARA login states and expired stored files (background exports, archive-purge files) go in the retention run.
const exactCounts = !process.env.DATABASE_URL; // PostgreSQL runs share one database between test files
const dataDir = mkdtempSync(path.join(tmpdir(), "tim-retention-cleanup-"));

beforeAll(() => {
  process.env.TIM_DATA_DIR = dataDir;
  process.env.TIM_EXPORT_DAYS = "3";
  resetConfig();
});
afterAll(() => {
  delete process.env.TIM_EXPORT_DAYS;
  rmSync(dataDir, { recursive: true, force: true });
});

const MINUTE = 60_000;

async function insertState(expiresAt: Date, consumed: boolean): Promise<string> {
  const state = randomBytes(32).toString("base64url");
  await (await db()).taraOauthState.create({
    data: {
      state,
      nonce: randomBytes(32).toString("base64url"),
      redirectUri: "/me",
      createdAt: new Date(expiresAt.getTime() - 10 * MINUTE),
      expiresAt,
      consumedAt: consumed ? new Date(expiresAt.getTime() - 5 * MINUTE) : null,
    },
  });
  return state;
}

test("expired login states, used or not, are deleted unless a kept TARA token names them; live ones stay", async () => {
  const client = await db();
  const expiredUnused = await insertState(new Date(Date.now() - 60 * MINUTE), false);
  const expiredUsed = await insertState(new Date(Date.now() - 60 * MINUTE), true);
  const justExpired = await insertState(new Date(Date.now() - MINUTE), true); // within the 10-minute grace
  const live = await insertState(new Date(Date.now() + 5 * MINUTE), false);
  // a live TARA token still names its state; an archived (past-retention) one no longer keeps it
  const keptState = await insertState(daysAgo(2), true);
  await insertTaraToken({ subject: `state-kept-${randomUUID()}`, expiresAt: new Date(Date.now() + 3_600_000), oauthStateId: keptState });
  const archivedState = await insertState(daysAgo(90), true);
  const archived = await insertTaraToken({ subject: `state-archived-${randomUUID()}`, expiresAt: daysAgo(80), oauthStateId: archivedState });

  const state = await runRetention({ trigger: "manual", requestedBy: "test" });

  const left = new Set(
    (
      await client.taraOauthState.findMany({
        where: { state: { in: [expiredUnused, expiredUsed, justExpired, live, keptState, archivedState] } },
      })
    ).map((s) => s.state),
  );
  expect(left).toEqual(new Set([justExpired, live, keptState]));
  expect(await client.taraJwtMetadataArchive.count({ where: { jwtUuid: archived.jwtUuid, oauthStateId: archivedState } })).toBe(1);
  const run = await getJobRun(state.runId);
  expect(run).toMatchObject({ status: "succeeded" });
  if (exactCounts) expect(run!.counts["tara.oauth_state"]).toBe(3);
  else expect(run!.counts["tara.oauth_state"]).toBeGreaterThanOrEqual(3);
});

test("more expired states than one batch are deleted in several batches", async () => {
  const client = await db();
  const expiresAt = new Date(Date.now() - 60 * MINUTE);
  const states = Array.from({ length: STATE_CLEANUP_BATCH_SIZE + 234 }, () => ({
    state: randomBytes(32).toString("base64url"),
    nonce: "n".repeat(43),
    redirectUri: "/me",
    expiresAt,
  }));
  await client.taraOauthState.createMany({ data: states });

  const state = await runRetention({ trigger: "manual" });

  expect(await client.taraOauthState.count({ where: { state: { in: states.map((s) => s.state) } } })).toBe(0);
  if (exactCounts) expect(state.counts["tara.oauth_state"]).toBe(states.length);
});

test("stored files past their expiry and partial files of failed runs are deleted with their chunks; others stay", async () => {
  const client = await db();
  const run = async (status: string) => (await client.jobRun.create({ data: { job: "export", trigger: "console", status, params: {}, counts: {} } })).id;
  const file = (runId: string, expiresAt: Date) =>
    client.$transaction(async (tx) => {
      const f = await createStoredFile(tx, { runId, name: "tim-tokens.csv", contentType: "text/csv", expiresAt });
      // three chunks, so the cascade has rows to delete
      return appendStoredFile(tx, f, randomBytes(CHUNK_BYTES * 2 + 1), { watermark: { n: 1 }, expiresAt });
    });
  const later = new Date(Date.now() + 86_400_000);
  const expired = await file(await run("succeeded"), daysAgo(1));
  const failedPartial = await file(await run("failed"), later);
  const runningPartial = await file(await run("running"), later);
  const kept = await file(await run("succeeded"), later);

  const state = await runRetention({ trigger: "manual" });

  const left = await client.storedFile.findMany({ where: { id: { in: [expired, failedPartial, runningPartial, kept].map((f) => f.id) } } });
  expect(left.map((f) => f.id).sort()).toEqual([runningPartial.id, kept.id].sort());
  expect(await client.fileChunk.count({ where: { fileId: { in: [expired.id, failedPartial.id] } } })).toBe(0);
  expect(await client.fileChunk.count({ where: { fileId: kept.id } })).toBe(3);
  if (exactCounts) expect(state.counts["tim.files"]).toBe(2);
  else expect(state.counts["tim.files"]).toBeGreaterThanOrEqual(2);
});
