import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { getJobRun, type JobRunView } from "@/lib/jobs/runs";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { streamTokenExport, type ExportFormat } from "@/lib/reporting/export";
import { exportDownloadResponse, exportsDir } from "@/lib/reporting/export-job";
import { requestExportJob } from "@/lib/reporting/request-export-job";
import { tokenFilterSchema } from "@/lib/reporting/filters";
import { hash, startTestRunner, waitFor } from "@/test/jobs/support";
import { startTestServer, type TestServer } from "@/test/support/http";

// Background exports through the in-process runner on the real database,
// written under a data directory of this file's own.
const dataDir = mkdtempSync(path.join(tmpdir(), "tim-export-job-"));
const ADMIN = { type: "administrator" as const, id: "EE38001085718" };

let runner: JobRunnerHandle;
let server: TestServer;
beforeAll(async () => {
  process.env.TIM_DATA_DIR = dataDir;
  resetConfig();
  runner = await startTestRunner();
  server = await startTestServer();
});
afterAll(async () => {
  await runner.stop();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** `count` custom tokens plus 3 TARA tokens, all with one JWT name; every 7th custom one revoked. */
async function seedTokens(name: string, count: number): Promise<void> {
  const client = await db();
  const expiresAt = new Date(Date.now() + 86_400_000);
  const row = (i: number, kind: string) => {
    const jwtUuid = randomUUID();
    return {
      jwtUuid,
      claimKeys: "sub,role",
      issuedAt: new Date(Date.UTC(2026, 0, 1) + i * 1_000),
      expiresAt,
      subject: `${name}-user-${i}`,
      jwtName: name,
      audience: "tim-audience",
      issuer: "TIM",
      originalJwtUuid: jwtUuid,
      // a comma, a quote, a newline and a formula: CSV escaping must survive the chunking
      claimsJson: { sub: `${name}-user-${i}`, role: i % 5 === 0 ? '=cmd,"x"\nnext' : "reader" },
      tokenHash: hash(`${kind}-${jwtUuid}`),
    };
  };
  const custom = Array.from({ length: count }, (_, i) => ({ ...row(i, "custom"), clientId: "export-client" }));
  await client.customJwtMetadata.createMany({ data: custom });
  await client.taraJwtMetadata.createMany({
    data: Array.from({ length: 3 }, (_, i) => ({ ...row(count + i, "tara"), authMethod: "mID", levelOfAssurance: "high" })),
  });
  await client.customDenylist.createMany({
    data: custom.filter((_, i) => i % 7 === 0).map((r) => ({ jwtUuid: r.jwtUuid, expiresAt: r.expiresAt, reason: "test" })),
  });
}

async function streamed(name: string, format: ExportFormat): Promise<string> {
  return new Response(streamTokenExport(tokenFilterSchema.parse({ jwt_name: name }), format)).text();
}

async function finished(runId: string): Promise<JobRunView> {
  return waitFor(async () => {
    const run = await getJobRun(runId);
    return run?.finishedAt ? run : undefined;
  }, 60_000);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

test("a background export writes the same file as the streamed export, records rows, bytes and SHA-256, and is audited", async () => {
  const name = `bg-export-${randomUUID()}`;
  await seedTokens(name, 1_234);
  for (const format of ["csv", "jsonl"] as const) {
    const { runId, expectedRows } = await requestExportJob({
      filters: tokenFilterSchema.parse({ jwt_name: name }),
      format,
      actor: ADMIN,
      requestedBy: `admin:${ADMIN.id}`,
    });
    expect(expectedRows).toBe(1_237);
    const run = await finished(runId);
    expect(run).toMatchObject({ job: "export", trigger: "console", status: "succeeded", error: null });
    expect(run.progressTotal).toBe(1_237);
    expect(run.progressDone).toBe(1_237);
    expect(run.counts).toEqual({ processed: 1_237 });

    const fileName = `tim-tokens-${runId}.${format}`;
    const content = readFileSync(path.join(exportsDir(), fileName));
    expect(content.toString("utf8")).toBe(await streamed(name, format));
    expect(run.result).toEqual({ file: fileName, format, rows: 1_237, bytes: content.length, sha256: sha256(content) });
    expect(exportsDir()).toBe(path.join(dataDir, "exports"));
  }
  const audit = await (await db()).audit.findMany({ where: { action: "tokens.export.queued", target: { path: ["query", "jwt_name"], equals: name } } });
  expect(audit).toHaveLength(2);
  expect(audit[0]).toMatchObject({ actorType: "administrator", actorId: ADMIN.id, counts: { rows: 1_237 } });
  expect(readdirSync(exportsDir()).filter((f) => f.endsWith(".part"))).toEqual([]);
});

test("a chunk that fails after writing is retried from its recorded length: no duplicated or missing rows", async () => {
  const name = `bg-export-retry-${randomUUID()}`;
  // 13 chunks of 500 rows: the runner's second step starts after row 5,000 with a file already written
  await seedTokens(name, 6_097);
  const requestedBy = `admin:retry-${randomUUID()}`;
  const client = await db();
  const fn = `tim_test_progress_${randomUUID().replace(/-/g, "")}`;
  // Records every progress update of this run and fails the first one reaching 6,000 rows, after the
  // chunk's rows were written to the file: a real database failure, not a mock.
  await client.$executeRawUnsafe(`CREATE TABLE ${fn}_log (seq serial, done bigint)`);
  await client.$executeRawUnsafe(`CREATE SEQUENCE ${fn}_seq`);
  await client.$executeRawUnsafe(`
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.progress_done = 6000 AND nextval('${fn}_seq') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
      INSERT INTO ${fn}_log (done) VALUES (NEW.progress_done);
      RETURN NEW;
    END $$`);
  await client.$executeRawUnsafe(`
    CREATE TRIGGER ${fn}_trg BEFORE UPDATE ON tim.job_runs
    FOR EACH ROW WHEN (NEW.requested_by = '${requestedBy}') EXECUTE FUNCTION ${fn}()`);
  try {
    const { runId } = await requestExportJob({ filters: tokenFilterSchema.parse({ jwt_name: name }), format: "csv", actor: ADMIN, requestedBy });
    const run = await finished(runId);
    expect(run.status).toBe("succeeded");
    expect(run.progressDone).toBe(6_100);

    const content = readFileSync(path.join(exportsDir(), `tim-tokens-${runId}.csv`));
    expect(content.toString("utf8")).toBe(await streamed(name, "csv"));
    expect(run.result).toMatchObject({ rows: 6_100, bytes: content.length, sha256: sha256(content) });
    expect(readdirSync(exportsDir()).filter((f) => f.includes(runId))).toEqual([`tim-tokens-${runId}.csv`]);

    // every update of the run: the start, one per chunk, the retried step from 5,000 on, the finish
    const log = await client.$queryRawUnsafe<Array<{ done: bigint }>>(`SELECT done FROM ${fn}_log ORDER BY seq`);
    expect(log.map((r) => Number(r.done))).toEqual([
      0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500, 5500, 6000, 6100, 6100,
    ]);
    const [execution] = await client.$queryRaw<Array<{ attempt: number; status: string }>>`
      SELECT attempt, status FROM tim.job_executions
       WHERE function_id = 'large-export' AND events @> ${JSON.stringify([{ data: { run_id: runId } }])}::jsonb`;
    expect(execution).toMatchObject({ attempt: 1, status: "completed" });
  } finally {
    await client.$executeRawUnsafe(`DROP TRIGGER ${fn}_trg ON tim.job_runs`);
    await client.$executeRawUnsafe(`DROP FUNCTION ${fn}()`);
    await client.$executeRawUnsafe(`DROP SEQUENCE ${fn}_seq`);
    await client.$executeRawUnsafe(`DROP TABLE ${fn}_log`);
  }
});

test("the download is the finished file, audited; unknown, unfinished and purged exports are refused", async () => {
  const name = `bg-export-dl-${randomUUID()}`;
  await seedTokens(name, 10);
  const { runId } = await requestExportJob({ filters: tokenFilterSchema.parse({ jwt_name: name }), format: "jsonl", actor: ADMIN, requestedBy: "admin:dl" });
  await finished(runId);
  const res = await exportDownloadResponse(runId, ADMIN, "req-dl-1");
  expect(res.headers.get("content-disposition")).toBe(`attachment; filename="tim-tokens-${runId}.jsonl"`);
  expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
  const body = await res.text();
  expect(body).toBe(await streamed(name, "jsonl"));
  expect(res.headers.get("x-tim-sha256")).toBe(sha256(Buffer.from(body)));
  const audit = await (await db()).audit.findFirst({ where: { action: "tokens.export.download", requestId: "req-dl-1" } });
  expect(audit).toMatchObject({ actorId: ADMIN.id, target: { run_id: runId, format: "jsonl", query: { jwt_name: name } }, counts: { rows: 13 } });

  await expect(exportDownloadResponse(randomUUID(), ADMIN)).rejects.toMatchObject({ status: 404 });
  await expect(exportDownloadResponse("../../etc/passwd", ADMIN)).rejects.toMatchObject({ status: 404 });
  const queued = await (await db()).jobRun.create({ data: { job: "export", trigger: "console", status: "running", params: {}, counts: {} } });
  await expect(exportDownloadResponse(queued.id, ADMIN)).rejects.toMatchObject({ status: 409, code: "export_not_ready" });
  rmSync(path.join(exportsDir(), `tim-tokens-${runId}.jsonl`));
  await expect(exportDownloadResponse(runId, ADMIN)).rejects.toMatchObject({ status: 410, code: "export_gone" });
});

test("the download route answers only administrators", async () => {
  const res = await fetch(`${server.url}/admin/exports/${randomUUID()}`);
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: "unauthorized" });
});
