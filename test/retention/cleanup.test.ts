import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { getJobRun } from "@/lib/jobs/runs";
import { exportsDir } from "@/lib/reporting/export-job";
import { runRetention } from "@/lib/retention/run";
import { STATE_CLEANUP_BATCH_SIZE } from "@/lib/tara/state-cleanup";
import { daysAgo, insertTaraToken } from "@/test/jobs/support";

// Expired TARA login states and old background-export files go in the retention run.
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
    (await client.taraOauthState.findMany({
      where: { state: { in: [expiredUnused, expiredUsed, justExpired, live, keptState, archivedState] } },
    })).map((s) => s.state),
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

test("background-export files older than TIM_EXPORT_DAYS are deleted, finished or left partial; newer ones stay", async () => {
  mkdirSync(exportsDir(), { recursive: true });
  const file = (name: string, ageDays: number) => {
    const full = path.join(exportsDir(), name);
    writeFileSync(full, "kind,token_type\n");
    const at = daysAgo(ageDays);
    utimesSync(full, at, at);
    return full;
  };
  const old = file(`tim-tokens-${randomUUID()}.csv`, 4);
  const oldPart = file(`tim-tokens-${randomUUID()}.jsonl.part`, 5);
  const recent = file(`tim-tokens-${randomUUID()}.csv`, 2);
  const foreign = file("notes.txt", 30);

  const state = await runRetention({ trigger: "manual" });

  expect([old, oldPart, recent, foreign].map(existsSync)).toEqual([false, false, true, true]);
  expect(state.counts.export_files).toBe(2);
});
