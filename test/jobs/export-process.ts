/**
 * A process that writes a background export (test/jobs/export-resume.test.ts):
 * `start <name> <rows> <chunks>` migrates, seeds, requests the export, prints
 * `run <id>` and runs the job runner, killing itself (SIGKILL: no clean-up,
 * an open step never recorded) right after its `<chunks>`-th chunk committed;
 * `resume <runId>` prints what the killed writer left (`left <bytes>
 * <rows>`), runs the job runner until the run ends and prints `result <json>`:
 * the run and SHA-256s of the stored file and of the same export streamed.
 * Works on PostgreSQL (DATABASE_URL) and on an on-disk PGlite (TIM_PGLITE_DIR).
 */
import { createHash } from "node:crypto";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { findStoredFile, storedFileChunks } from "@/lib/files/read";
import { getJobRun } from "@/lib/jobs/runs";
import { streamTokenExport } from "@/lib/reporting/export";
import { defineBulkJob } from "@/lib/jobs/bulk";
import { events } from "@/lib/jobs/events";
import { jobs } from "@/lib/jobs/registry";
import { JobRunner } from "@/lib/jobs/runner/runner";
import { exportFileName, exportJobHandler, largeExportJob } from "@/lib/reporting/export-job";
import { requestExportJob } from "@/lib/reporting/request-export-job";
import { tokenFilterSchema } from "@/lib/reporting/filters";
import { seedExportTokens } from "@/test/jobs/export-support";
import { startTestRunner } from "@/test/jobs/support";

const [phase, arg, rows, chunks] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await migrate();
if (phase === "start") {
  await seedExportTokens(arg, Number(rows));
  const { runId } = await requestExportJob({
    filters: tokenFilterSchema.parse({ jwt_name: arg }),
    format: "csv",
    actor: { type: "administrator", id: "EE38001085718" },
    requestedBy: "admin:EE38001085718",
  });
  say(`run ${runId}`);
  let written = 0;
  // the registry's jobs, with large-export's handler dying after its <chunks>-th chunk
  const dying = defineBulkJob(
    {
      kind: "export",
      handler: {
        ...exportJobHandler,
        async chunk(...args) {
          const chunk = await exportJobHandler.chunk(...args);
          if (++written === Number(chunks)) process.kill(process.pid, "SIGKILL");
          return chunk;
        },
      },
    },
    { id: largeExportJob.id, name: largeExportJob.name, event: events.exportRequested },
  );
  await new JobRunner(
    jobs.map((job) => (job.id === dying.id ? dying : job)),
    { retryBaseMs: 20, retryMaxMs: 200, pollMs: 250, crons: false },
  ).start();
} else {
  const runId = arg;
  const before = await getJobRun(runId);
  const params = before!.params as { query: Record<string, string> };
  const name = exportFileName(runId, "csv");
  say(`left ${(await findStoredFile(runId, name))?.size ?? 0} ${before?.progressDone ?? 0}`);
  const runner = await startTestRunner();
  let run = before!;
  while (!run.finishedAt) {
    await sleep(100);
    run = (await getJobRun(runId))!;
  }
  await runner.stop();
  const stored = createHash("sha256");
  const file = await findStoredFile(runId, name);
  if (file) for await (const chunk of storedFileChunks(file)) stored.update(chunk);
  const streamed = createHash("sha256");
  const stream = streamTokenExport(tokenFilterSchema.parse(params.query), "csv");
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) streamed.update(chunk);
  say(`result ${JSON.stringify({ run, stored: stored.digest("hex"), streamed: streamed.digest("hex"), size: file?.size })}`);
  await closeDb();
  process.exit(0);
}
