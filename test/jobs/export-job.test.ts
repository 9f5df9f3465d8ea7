import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { getJobRun, type JobRunView } from "@/lib/jobs/runs";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { streamTokenExport, type ExportFormat } from "@/lib/reporting/export";
import { exportDownloadResponse } from "@/lib/reporting/export-download";
import { exportJobHandler } from "@/lib/reporting/export-job";
import { requestExportJob } from "@/lib/reporting/request-export-job";
import { authSecret } from "@/lib/auth/secret";
import { CHUNK_BYTES } from "@/lib/files/stored-file";
import { tokenFilterSchema } from "@/lib/reporting/filters";
import { startTestRunner, waitFor } from "@/test/jobs/support";
import { seedExportTokens as seedTokens } from "@/test/jobs/export-support";
import { adminSessionCookie } from "@/test/support/admin-session";
import { startTestServer, type TestServer } from "@/test/support/http";
import { storedFileContent } from "@/test/support/stored-files";

// Background exports through the in-process runner on the real database,
// stored in it (tim.files); the data directory of this file's own stays empty of exports.
const dataDir = mkdtempSync(path.join(tmpdir(), "tim-export-job-"));
const ADMIN = { type: "administrator" as const, id: "EE38001085718" };

let runner: JobRunnerHandle;
let server: TestServer;
beforeAll(async () => {
  process.env.TIM_DATA_DIR = dataDir;
  process.env.TIM_ADMIN_SUBJECTS = ADMIN.id;
  resetConfig();
  runner = await startTestRunner();
  server = await startTestServer();
});
afterAll(async () => {
  await runner.stop();
  await server.close();
  delete process.env.TIM_ADMIN_SUBJECTS;
  rmSync(dataDir, { recursive: true, force: true });
});

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

test("a background export writes the same file as the streamed export, records rows, bytes and SHA-256, and is audited", { timeout: 120_000 }, async () => {
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
    const content = await storedFileContent(runId, fileName);
    expect(content.toString("utf8")).toBe(await streamed(name, format));
    expect(run.result).toEqual({ file: fileName, format, rows: 1_237, bytes: content.length, sha256: sha256(content) });
  }
  const audit = await (await db()).audit.findMany({ where: { action: "tokens.export.queued", target: { path: ["query", "jwt_name"], equals: name } } });
  expect(audit).toHaveLength(2);
  expect(audit[0]).toMatchObject({ actorType: "administrator", actorId: ADMIN.id, counts: { rows: 1_237 } });
  expect(readdirSync(dataDir)).not.toContain("exports");
});

test("a chunk that fails is rolled back with its progress; the retry continues after the last committed batch: no duplicated or missing rows", {
  timeout: 120_000,
}, async () => {
  const name = `bg-export-retry-${randomUUID()}`;
  // 13 chunks of 500 rows: the runner's second step starts after row 5,000 with a file already written
  await seedTokens(name, 6_097);
  const requestedBy = `admin:retry-${randomUUID()}`;
  const client = await db();
  const fn = `tim_test_progress_${randomUUID().replace(/-/g, "")}`;
  // Records every progress update of this run and fails the first one reaching 6,000 rows, in the
  // transaction that appended the chunk's rows: a real database failure, not a mock.
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

    const content = await storedFileContent(runId, `tim-tokens-${runId}.csv`);
    expect(content.toString("utf8")).toBe(await streamed(name, "csv"));
    expect(run.result).toMatchObject({ rows: 6_100, bytes: content.length, sha256: sha256(content) });
    expect(await client.storedFile.count({ where: { runId } })).toBe(1);

    // every committed update of the run: the start, one per chunk (the retried step replays from 5,000 but
    // continues after the committed 5,500: no chunk twice), the finish
    const log = await client.$queryRawUnsafe<Array<{ done: bigint }>>(`SELECT done FROM ${fn}_log ORDER BY seq`);
    expect(log.map((r) => Number(r.done))).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500, 6000, 6100, 6100]);
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
  await (await db()).storedFile.deleteMany({ where: { runId } });
  await expect(exportDownloadResponse(runId, ADMIN)).rejects.toMatchObject({ status: 410, code: "export_gone" });
});

test("the download route answers only administrators", async () => {
  const res = await fetch(`${server.url}/admin/exports/${randomUUID()}`);
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: "unauthorized" });
});

test("a run whose stored file disappeared mid-run starts over from zero and finishes complete, not failed", async () => {
  const name = `bg-export-lost-${randomUUID()}`;
  await seedTokens(name, 1_200);
  const client = await db();
  const params = { query: { jwt_name: name }, format: "csv", at: new Date().toISOString(), actor: ADMIN };
  const { id: runId } = await client.jobRun.create({ data: { job: "export", trigger: "console", status: "running", params, counts: {} } });
  let chunk = await exportJobHandler.chunk(params, null, runId);
  chunk = await exportJobHandler.chunk(params, chunk.cursor, runId);
  expect((await getJobRun(runId))!.progressDone).toBe(1_000);
  await client.storedFile.deleteMany({ where: { runId } });
  // the step's cursor still says "after row 1,000": the file, not the cursor, decides
  while (!chunk.done) chunk = await exportJobHandler.chunk(params, chunk.cursor, runId);
  expect((await getJobRun(runId))!.progressDone).toBe(1_203);
  const result = await exportJobHandler.finish!(params, runId);
  const content = await storedFileContent(runId, `tim-tokens-${runId}.csv`);
  expect(content.toString("utf8")).toBe(await streamed(name, "csv"));
  expect(result).toEqual({ file: `tim-tokens-${runId}.csv`, format: "csv", rows: 1_203, bytes: content.length, sha256: sha256(content) });
}, 120_000);

test("a large export downloads over HTTP byte-identical, streamed from the database one chunk at a time", async () => {
  const name = `bg-export-large-${randomUUID()}`;
  await seedTokens(name, 7_000);
  const { runId } = await requestExportJob({ filters: tokenFilterSchema.parse({ jwt_name: name }), format: "csv", actor: ADMIN, requestedBy: "admin:large" });
  const run = await finished(runId);
  const { bytes, sha256: fileSha } = run.result as { bytes: number; sha256: string };
  const file = await (await db()).storedFile.findFirstOrThrow({ where: { runId } });
  expect(bytes).toBeGreaterThan(3 * 1024 * 1024);
  expect(file.chunks).toBeGreaterThanOrEqual(Math.ceil(bytes / CHUNK_BYTES));

  // the whole file over real HTTP, hashed as it arrives
  const cookie = await adminSessionCookie(ADMIN.id, authSecret(), false);
  const memory = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const before = memory();
  let peak = before;
  const res = await fetch(`${server.url}/admin/exports/${runId}`, { headers: { cookie } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-length")).toBe(String(bytes));
  expect(res.headers.get("x-tim-sha256")).toBe(fileSha);
  const digest = createHash("sha256");
  let received = 0;
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    digest.update(part);
    received += part.length;
    peak = Math.max(peak, memory());
  }
  expect(received).toBe(bytes);
  expect(digest.digest("hex")).toBe(fileSha);
  expect(fileSha).toBe(sha256(Buffer.from(await streamed(name, "csv"))));
  console.log(
    `download of ${(bytes / 1048576).toFixed(1)} MB in ${file.chunks} chunks: heap+buffers grew by at most ` +
      `${((peak - before) / 1048576).toFixed(1)} MB while reading (server and client in this process)`,
  );

  // one chunk read per chunk asked for: chunks deleted behind the first two are missed, not already buffered
  const reader = (await exportDownloadResponse(runId, ADMIN)).body!.getReader();
  expect((await reader.read()).value!.length).toBeGreaterThan(0);
  await (await db()).fileChunk.deleteMany({ where: { fileId: file.id, seq: { gte: 2 } } });
  expect((await reader.read()).value!.length).toBeGreaterThan(0);
  await expect(reader.read()).rejects.toThrow(/lost its chunk 2/);
}, 180_000);
