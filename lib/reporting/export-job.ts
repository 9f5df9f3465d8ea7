import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { ACTOR_TYPES } from "@/lib/audit/event";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { defineBulkJob, type BulkJobHandler } from "@/lib/jobs/bulk";
import { events } from "@/lib/jobs/events";
import { getJobRun, listJobRuns, type JobRunView } from "@/lib/jobs/runs";
import { countTokens } from "@/lib/reporting/count";
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportBatch, type ExportFormat } from "@/lib/reporting/export";
import { filtersToParams, tokenFilterSchema, type TokenFilters } from "@/lib/reporting/filters";
import { isUuid } from "@/lib/tokens/kinds";

/**
 * Background export (seed 001): the same rows and encoding as the streamed
 * download (lib/reporting/export.ts), written chunk by chunk to
 * TIM_DATA_DIR/exports by the large-export job, for sets too large to stream
 * in one request. Each chunk first cuts the file back to the length its
 * cursor recorded, so a retried chunk rewrites its rows instead of appending
 * them twice; the finished file is renamed into place in one step, so a
 * download never sees a partial file.
 */
export const exportJobParamsSchema = z.object({
  query: z.record(z.string(), z.string()),
  format: z.enum(EXPORT_FORMATS),
  /** Fixes the status column for the whole export. */
  at: z.iso.datetime(),
  actor: z.object({ type: z.enum(ACTOR_TYPES), id: z.string() }),
});
export type ExportJobParams = z.infer<typeof exportJobParamsSchema>;

const cursorSchema = z.object({
  after: z.object({ sortKey: z.string(), id: z.string() }).nullable(),
  bytes: z.number().int().nonnegative(),
});
type ExportCursor = z.infer<typeof cursorSchema>;

/** What a finished run records as its result. */
const exportFileSchema = z.object({
  file: z.string(),
  format: z.enum(EXPORT_FORMATS),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
});
export type ExportFile = z.infer<typeof exportFileSchema>;

/** Where finished exports (and the parts being written) live. */
export function exportsDir(): string {
  return path.resolve(config().TIM_DATA_DIR, "exports");
}

/** File names derive from the run id and format only, never from stored or requested text. */
const fileName = (runId: string, format: ExportFormat) => `tim-tokens-${runId}.${format}`;
const finalPath = (runId: string, format: ExportFormat) => path.join(exportsDir(), fileName(runId, format));
const partPath = (runId: string, format: ExportFormat) => `${finalPath(runId, format)}.part`;

function jobParams(params: unknown): { p: ExportJobParams; filters: TokenFilters } {
  const p = exportJobParamsSchema.parse(params);
  return { p, filters: tokenFilterSchema.parse(p.query) };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The large-export job's work (lib/jobs/bulk.ts drives it chunk by chunk, with progress). */
export const exportJobHandler: BulkJobHandler = {
  async count(params) {
    const { p, filters } = jobParams(params);
    return countTokens(filters, new Date(p.at));
  },
  async chunk(params, cursor, runId) {
    const { p, filters } = jobParams(params);
    const from: ExportCursor = cursor ? cursorSchema.parse(JSON.parse(cursor)) : { after: null, bytes: 0 };
    const batch = await exportBatch(filters, p.format, from.after ?? undefined, new Date(p.at));
    await mkdir(exportsDir(), { recursive: true });
    const part = partPath(runId, p.format);
    const handle = await open(part, from.bytes === 0 ? "w" : "r+", 0o600);
    let bytes: number;
    try {
      if ((await handle.stat()).size < from.bytes) {
        throw new TimError(500, "export_file_lost", `The partial export file of run ${runId} is shorter than its recorded progress.`);
      }
      await handle.truncate(from.bytes);
      const data = Buffer.from(batch.text, "utf8");
      await handle.write(data, 0, data.length, from.bytes);
      bytes = from.bytes + data.length;
    } finally {
      await handle.close();
    }
    const next: ExportCursor = { after: batch.last ?? from.after, bytes };
    return { processed: batch.rows, cursor: JSON.stringify(next), done: batch.done };
  },
  async finish(params, runId) {
    const { p } = jobParams(params);
    const part = partPath(runId, p.format);
    const done = finalPath(runId, p.format);
    // A retried finish may find the rename already done.
    const renamed = await stat(part).then(() => false, () => true);
    if (!renamed) {
      const handle = await open(part, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(part, done);
    }
    const run = await getJobRun(runId);
    const result: ExportFile = {
      file: fileName(runId, p.format),
      format: p.format,
      rows: run?.progressDone ?? 0,
      bytes: (await stat(done)).size,
      sha256: await sha256Of(done),
    };
    return result;
  },
};

/** Background export (`large-export`): "Export in background" on /admin/tokens, queued by lib/reporting/request-export-job.ts. */
export const largeExportJob = defineBulkJob(
  { kind: "export", handler: exportJobHandler },
  { id: "large-export", name: "Large export", event: events.exportRequested },
);

/** The latest background exports, newest first (the console's progress table). */
export function listExportJobs(limit = 10): Promise<JobRunView[]> {
  return listJobRuns({ job: "export", limit });
}

/** The finished file of an export run, if the run succeeded and the file is still kept. */
export function exportFileOf(run: JobRunView): ExportFile | undefined {
  if (run.job !== "export" || run.status !== "succeeded") return undefined;
  const parsed = exportFileSchema.safeParse(run.result);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The download of a finished background export, recorded in the audit trail
 * (who, which run, its filters) before the first byte leaves.
 */
export async function exportDownloadResponse(
  runId: string,
  actor: AuditActor,
  requestId?: string | null,
): Promise<Response> {
  const run = isUuid(runId) ? await getJobRun(runId) : undefined;
  if (!run || run.job !== "export") throw new TimError(404, "not_found", "No such export.");
  const file = exportFileOf(run);
  if (!file) throw new TimError(409, "export_not_ready", `This export is ${run.status}; only a finished export can be downloaded.`);
  const full = finalPath(run.id, file.format);
  const size = await stat(full).then((s) => s.size, () => undefined);
  if (size === undefined) {
    throw new TimError(410, "export_gone", `The file was deleted after ${config().TIM_EXPORT_DAYS} days; start a new export.`);
  }
  const { p } = jobParams(run.params);
  await (await db()).$transaction((tx) =>
    recordAudit(tx, {
      actor,
      action: "tokens.export.download",
      target: { query: p.query, format: file.format, run_id: run.id, sha256: file.sha256 },
      counts: { rows: file.rows, bytes: size },
      requestId,
    }),
  );
  return new Response(Readable.toWeb(createReadStream(full)) as ReadableStream<Uint8Array>, {
    headers: {
      "content-type": EXPORT_CONTENT_TYPES[file.format],
      "content-disposition": `attachment; filename="${file.file}"`,
      "content-length": String(size),
      "cache-control": "no-store",
      "x-tim-sha256": file.sha256,
    },
  });
}

/**
 * Deletes export files (finished or left partial by a failed run) written
 * more than `days` ago; returns how many. Part of the retention job.
 */
export async function purgeOldExports(days = config().TIM_EXPORT_DAYS, now = new Date()): Promise<number> {
  const cutoff = now.getTime() - days * 86_400_000;
  const dir = exportsDir();
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith("tim-tokens-")) continue;
    const full = path.join(dir, name);
    const info = await stat(full);
    if (!info.isFile() || info.mtimeMs >= cutoff) continue;
    await unlink(full);
    removed += 1;
  }
  return removed;
}
