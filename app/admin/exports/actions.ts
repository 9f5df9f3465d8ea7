"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import type { ActionState } from "@/app/admin/_components/action-form";
import { errorMessage } from "@/app/admin/_components/ui";
import { requireAdmin } from "@/lib/admin/session";
import { badRequest } from "@/lib/http/errors";
import { EXPORT_FORMATS, type ExportFormat } from "@/lib/reporting/export";
import { requestExportJob } from "@/lib/reporting/request-export-job";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { callerRequestId } from "@/lib/http/handler";

/** Queues a background export of the search's filters (audited as tokens.export.queued). */
export async function requestExportAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const { filters } = parseTokenQuery(new URLSearchParams(String(form.get("query") ?? "")));
    const format = String(form.get("format") ?? "csv");
    if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw badRequest("format must be csv or jsonl.");
    const { runId, expectedRows } = await requestExportJob({
      filters,
      format: format as ExportFormat,
      actor: admin.actor,
      requestedBy: admin.revokedBy,
      requestId: callerRequestId(await headers()),
    });
    revalidatePath("/admin/tokens");
    return { ok: true, message: `Exporting ${expectedRows.toLocaleString("en")} tokens in the background (job ${runId}); the file appears below when it is ready.` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}
