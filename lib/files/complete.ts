import { db } from "@/lib/db/client";
import { storedFileSha256 } from "@/lib/files/read";
import { storedFileView, type StoredFile } from "@/lib/files/stored-file";

/** Marks a fully written file complete with its SHA-256 (idempotent: a retried finish keeps the first). */
export async function completeStoredFile(file: StoredFile, expiresAt: Date): Promise<StoredFile> {
  if (file.completedAt && file.sha256) return file;
  const sha256 = await storedFileSha256(file);
  const row = await (await db()).storedFile.update({
    where: { id: file.id },
    data: { sha256, completedAt: new Date(), expiresAt },
  });
  return storedFileView(row);
}
