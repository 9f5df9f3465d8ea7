"use server";

import { revalidatePath } from "next/cache";
import { adminAction } from "@/app/admin/_components/admin-action";
import { badRequest } from "@/lib/http/errors";
import { EXPORT_FORMATS, type ExportFormat } from "@/lib/reporting/export";
import { requestExportJob } from "@/lib/reporting/request-export-job";
import { parseTokenQuery } from "@/lib/reporting/filters";

/** Queues a background export of the search's filters (audited as tokens.export.queued). */
export const requestExportAction = adminAction(async ({ admin, form, requestId }) => {
  const { filters } = parseTokenQuery(new URLSearchParams(String(form.get("query") ?? "")));
  const format = String(form.get("format") ?? "csv");
  if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw badRequest("format must be csv or jsonl.");
  const { runId, expectedRows } = await requestExportJob({
    filters,
    format: format as ExportFormat,
    actor: admin.actor,
    requestedBy: admin.revokedBy,
    requestId,
  });
  revalidatePath("/admin/tokens");
  return {
    ok: true,
    message: `Exporting ${expectedRows.toLocaleString("en")} tokens in the background (job ${runId}); the file appears below when it is ready.`,
  };
});
