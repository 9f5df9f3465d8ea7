import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, expect, test } from "vitest";
import { auditEventsForToken } from "@/lib/audit/search";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { inngestFunctions } from "@/lib/jobs/inngest/functions";
import { getJobRun } from "@/lib/jobs/runs";
import { revokeByJti } from "@/lib/tokens/revoke";
import { requestExportJob } from "@/lib/reporting/request-export-job";
import { storedFileContent } from "@/test/support/stored-files";
import { tokenFilterSchema } from "@/lib/reporting/filters";
import { insertCustomToken } from "@/test/jobs/support";
import { onPostgres } from "@/test/support/scratch-db";

// The console's functions (issue 4's audit fold and dashboard rollup, the large export) run once
// each through the Inngest provider with @inngest/test against the real database, as the other
// functions are in functions.unit.test.ts.
const fn = (id: string) => inngestFunctions.find((f) => f.id() === id)!;
const auditFold = fn("audit-fold");
const statsRollup = fn("stats-rollup");
const largeExport = fn("large-export");

const dataDir = mkdtempSync(path.join(tmpdir(), "tim-console-functions-"));
const future = () => new Date(Date.now() + 3_600_000);

beforeAll(() => {
  process.env.TIM_DATA_DIR = dataDir;
  resetConfig();
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

test("audit-fold: one step folds a token-API revocation into the trail", async () => {
  const token = await insertCustomToken({ subject: `unit-fold-${randomUUID()}`, expiresAt: future() });
  await revokeByJti("custom", { jti: token.jwtUuid, expiresAt: token.expiresAt, reason: "unit", revokedBy: "client:unit" });
  // the fold leaves changes younger than its clock margin for the next run
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const { result, ctx } = await new InngestTestEngine({ function: auditFold }).execute();
  expect(ctx.step.run).toHaveBeenCalledWith("fold", expect.any(Function));
  // on a shared PostgreSQL database another file's runner may fold it first; the event exists once either way
  if (!onPostgres) expect((result as { folded: number }).folded).toBeGreaterThanOrEqual(1);
  expect(await auditEventsForToken(token.jwtUuid)).toMatchObject([{ action: "tokens.revoke", actorId: "unit", reason: "unit" }]);
});

test("stats-rollup: one step recomputes the last days of the dashboard rollup", async () => {
  const { result, ctx } = await new InngestTestEngine({ function: statsRollup }).execute();
  expect(ctx.step.run).toHaveBeenCalledWith("roll-up", expect.any(Function));
  expect((result as { days: string[] }).days).toHaveLength(3);
  const rolled = await (await db()).$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM tim.stats_rollup_days`;
  expect(rolled[0].n).toBeGreaterThanOrEqual(3);
});

test("large-export: the export handler writes every matching row to the run's file", async () => {
  const subject = `unit-export-${randomUUID()}`;
  const tokens = await Promise.all(Array.from({ length: 12 }, () => insertCustomToken({ subject, expiresAt: future() })));
  const { runId, expectedRows } = await requestExportJob({
    filters: tokenFilterSchema.parse({ subject }),
    format: "jsonl",
    actor: { type: "administrator", id: "EE38001085718" },
    requestedBy: "admin:EE38001085718",
  });
  expect(expectedRows).toBe(12);
  const { result } = await new InngestTestEngine({
    function: largeExport,
    events: [{ name: "tim/export.requested", data: { run_id: runId } }],
  }).execute();
  expect(result).toEqual({ runId, processed: 12 });
  const run = await getJobRun(runId);
  expect(run).toMatchObject({ status: "succeeded", progressDone: 12 });
  const file = (run!.result as { file: string }).file;
  const lines = (await storedFileContent(runId, file)).toString("utf8").trim().split("\n");
  expect(new Set(lines.map((l) => JSON.parse(l).jwt_uuid))).toEqual(new Set(tokens.map((t) => t.jwtUuid)));
});
