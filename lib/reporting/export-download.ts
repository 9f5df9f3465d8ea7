import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { findStoredFile, storedFileResponse } from "@/lib/files/read";
import { TimError } from "@/lib/http/errors";
import { getJobRun, listJobRuns, type JobRunView } from "@/lib/jobs/runs";
import { exportFileSchema, jobParams, type ExportFile } from "@/lib/reporting/export-job";
import { isUuid } from "@/lib/tokens/kinds";

/** Background exports as the console shows and downloads them (the job itself: lib/reporting/export-job.ts). */

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
export async function exportDownloadResponse(runId: string, actor: AuditActor, requestId?: string | null): Promise<Response> {
  const run = isUuid(runId) ? await getJobRun(runId) : undefined;
  if (run?.job !== "export") throw new TimError("not_found", "No such export.");
  const file = exportFileOf(run);
  if (!file) throw new TimError("export_not_ready", `This export is ${run.status}; only a finished export can be downloaded.`);
  const stored = await findStoredFile(run.id, file.file);
  if (!stored?.completedAt) {
    throw new TimError("export_gone", `The file was deleted after ${config().TIM_EXPORT_DAYS} days; start a new export.`);
  }
  const { p } = jobParams(run.params);
  await (await db()).$transaction((tx) =>
    recordAudit(tx, {
      actor,
      action: "tokens.export.download",
      target: { query: p.query, format: file.format, run_id: run.id, sha256: file.sha256 },
      counts: { rows: file.rows, bytes: stored.size },
      requestId,
    }),
  );
  return storedFileResponse(stored);
}
