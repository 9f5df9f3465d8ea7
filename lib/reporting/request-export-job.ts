import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { requestBulkJob } from "@/lib/jobs/request-bulk-job";
import { countTokens } from "@/lib/reporting/count";
import type { ExportFormat } from "@/lib/reporting/export";
import type { ExportJobParams } from "@/lib/reporting/export-job";
import { filtersToParams, type TokenFilters } from "@/lib/reporting/filters";

/**
 * Queues a background export of every token matching the filters and
 * records it in the audit trail (who, filters, format, how many rows match,
 * when); returns the job run the console shows.
 */
export async function requestExportJob(input: {
  filters: TokenFilters;
  format: ExportFormat;
  actor: AuditActor;
  requestedBy: string;
  requestId?: string | null;
}): Promise<{ runId: string; expectedRows: number }> {
  const at = new Date();
  const query = filtersToParams(input.filters);
  const expectedRows = await countTokens(input.filters, at);
  const params: ExportJobParams = { query, format: input.format, at: at.toISOString(), actor: input.actor };
  const runId = await requestBulkJob("export", { requestedBy: input.requestedBy, params });
  await (await db()).$transaction((tx) =>
    recordAudit(tx, {
      actor: input.actor,
      action: "tokens.export.queued",
      target: { query, format: input.format, run_id: runId },
      counts: { rows: expectedRows },
      requestId: input.requestId,
      at,
    }),
  );
  return { runId, expectedRows };
}
