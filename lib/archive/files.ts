import { db } from "@/lib/db/client";
import { storedFileView, type StoredFile } from "@/lib/files/stored-file";

/** The finished archive-purge files still kept, newest first (the console lists them for download). */
export async function listArchivePurgeFiles(limit = 10): Promise<StoredFile[]> {
  const rows = await (await db()).storedFile.findMany({
    where: { completedAt: { not: null }, run: { job: "archive_purge" } },
    orderBy: { createdAt: "desc" },
    take: limit,
  });
  return rows.map(storedFileView);
}
