import { z } from "zod";
import { auditActorSchema } from "@/lib/audit/event";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { completeStoredFile } from "@/lib/files/complete";
import { findStoredFile } from "@/lib/files/read";
import type { StoredFile } from "@/lib/files/stored-file";
import { appendStoredFile, createStoredFile, lockStoredFile } from "@/lib/files/write";
import { TimError } from "@/lib/http/errors";
import { addBulkProgress, defineBulkJob, type BulkJobHandler } from "@/lib/jobs/bulk";
import { events } from "@/lib/jobs/events";
import { getJobRun } from "@/lib/jobs/runs";
import { countTokens } from "@/lib/reporting/count";
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportBatch, type ExportFormat } from "@/lib/reporting/export";
import { tokenFilterSchema, type TokenFilters } from "@/lib/reporting/filters";

/**
 * Background export (seed 001): the same rows and encoding as the streamed
 * download (lib/reporting/export.ts), written batch by batch by the
 * large-export job into a stored file (lib/files: PostgreSQL, reachable from
 * every instance). Each batch is appended in one transaction with the file's
 * watermark (the keyset after its last row) and the run's progress, so a step
 * retried or resumed on any instance continues after the last committed batch
 * and writes no row twice; a run whose file is missing starts over from zero.
 */
export const exportJobParamsSchema = z.object({
  query: z.record(z.string(), z.string()),
  format: z.enum(EXPORT_FORMATS),
  /** Fixes the status column for the whole export. */
  at: z.iso.datetime(),
  actor: auditActorSchema,
});
export type ExportJobParams = z.infer<typeof exportJobParamsSchema>;

/** The stored file's watermark: the keyset after the last written row, and whether the last batch was written. */
const watermarkSchema = z.object({
  after: z.object({ sortKey: z.string(), id: z.string() }).nullable(),
  done: z.boolean(),
});
type ExportWatermark = z.infer<typeof watermarkSchema>;
const START: ExportWatermark = { after: null, done: false };

/** What a finished run records as its result. */
export const exportFileSchema = z.object({
  file: z.string(),
  format: z.enum(EXPORT_FORMATS),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
});
export type ExportFile = z.infer<typeof exportFileSchema>;

/** File names derive from the run id and format only, never from stored or requested text. */
export const exportFileName = (runId: string, format: ExportFormat) => `tim-tokens-${runId}.${format}`;

const expiry = () => new Date(Date.now() + config().TIM_EXPORT_DAYS * 86_400_000);

export function jobParams(params: unknown): { p: ExportJobParams; filters: TokenFilters } {
  const p = exportJobParamsSchema.parse(params);
  return { p, filters: tokenFilterSchema.parse(p.query) };
}

const watermarkOf = (file: StoredFile | undefined): ExportWatermark => (file?.watermark ? watermarkSchema.parse(file.watermark) : START);
const sameWatermark = (a: ExportWatermark, b: ExportWatermark) => JSON.stringify(a) === JSON.stringify(b);

/** The large-export job's work (lib/jobs/bulk.ts drives it chunk by chunk, with progress). */
export const exportJobHandler: BulkJobHandler = {
  async count(params) {
    const { p, filters } = jobParams(params);
    return countTokens(filters, new Date(p.at));
  },
  // The step's cursor is not used: the stored file's committed watermark is the one source of where to go on.
  async chunk(params, _cursor, runId) {
    const { p, filters } = jobParams(params);
    const name = exportFileName(runId, p.format);
    const from = watermarkOf(await findStoredFile(runId, name));
    if (from.done) return { processed: 0, cursor: JSON.stringify(from), done: true, recorded: true };
    // Read outside the transaction (PGlite has one connection); the append below checks nobody moved on meanwhile.
    const batch = await exportBatch(filters, p.format, from.after ?? undefined, new Date(p.at));
    const next: ExportWatermark = { after: batch.last ?? from.after, done: batch.done };
    const written = await (await db()).$transaction(
      async (tx) => {
        let file = await lockStoredFile(tx, runId, name);
        if (!file) {
          file = await createStoredFile(tx, { runId, name, contentType: EXPORT_CONTENT_TYPES[p.format], expiresAt: expiry() });
          // a file lost mid-run (or never started) is written from zero: progress restarts with it
          await tx.jobRun.updateMany({ where: { id: runId, progressDone: { not: 0 } }, data: { progressDone: 0 } });
        }
        if (!sameWatermark(watermarkOf(file), from)) return false;
        await appendStoredFile(tx, file, Buffer.from(batch.text, "utf8"), { watermark: next, expiresAt: expiry() });
        await addBulkProgress(tx, runId, batch.rows);
        return true;
      },
      { timeout: 60_000 },
    );
    // another writer of this run committed first: the next chunk continues from its watermark
    if (!written) return { processed: 0, cursor: JSON.stringify(from), done: false, recorded: true };
    return { processed: batch.rows, cursor: JSON.stringify(next), done: batch.done, recorded: true };
  },
  async finish(params, runId) {
    const { p } = jobParams(params);
    const stored = await findStoredFile(runId, exportFileName(runId, p.format));
    if (!stored || !watermarkOf(stored).done) {
      throw new TimError("export_file_lost", `The export file of run ${runId} is missing or incomplete.`);
    }
    const file = await completeStoredFile(stored, expiry());
    const run = await getJobRun(runId);
    const result: ExportFile = {
      file: file.name,
      format: p.format,
      rows: run?.progressDone ?? 0,
      bytes: file.size,
      sha256: file.sha256!,
    };
    return result;
  },
};

/** Background export (`large-export`): "Export in background" on /admin/tokens, queued by lib/reporting/request-export-job.ts. */
export const largeExportJob = defineBulkJob(
  { kind: "export", handler: exportJobHandler },
  { id: "large-export", name: "Large export", event: events.exportRequested },
);
