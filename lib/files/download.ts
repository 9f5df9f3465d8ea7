import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { findStoredFileById, storedFileResponse } from "@/lib/files/read";
import { TimError } from "@/lib/http/errors";
import { isUuid } from "@/lib/tokens/kinds";

/**
 * The download of a finished stored file by id (archive-purge files),
 * recorded in the audit trail before the first byte leaves. Background
 * exports keep their own route (by run, lib/reporting/export-job.ts).
 */
export async function storedFileDownloadResponse(fileId: string, actor: AuditActor, requestId?: string | null): Promise<Response> {
  const file = isUuid(fileId) ? await findStoredFileById(fileId) : undefined;
  if (!file) throw new TimError("not_found", "No such file; files are deleted when they expire.");
  if (!file.completedAt) throw new TimError("file_not_ready", "This file is still being written.");
  await (await db()).$transaction((tx) =>
    recordAudit(tx, {
      actor,
      action: "files.download",
      target: { file_id: file.id, name: file.name, run_id: file.runId, sha256: file.sha256 },
      counts: { bytes: file.size },
      requestId,
    }),
  );
  return storedFileResponse(file);
}
