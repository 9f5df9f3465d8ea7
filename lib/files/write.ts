import { CHUNK_BYTES, storedFileView, type StoredFile } from "@/lib/files/stored-file";
import type { Prisma } from "@/lib/generated/prisma/client";

type Tx = Prisma.TransactionClient;

/** Starts an empty file of a job run (or returns the one it already has). */
export async function createStoredFile(tx: Tx, input: { runId: string; name: string; contentType: string; expiresAt: Date }): Promise<StoredFile> {
  const row = await tx.storedFile.upsert({
    where: { runId_name: { runId: input.runId, name: input.name } },
    create: input,
    update: {},
  });
  return storedFileView(row);
}

/**
 * The file of a run, locked for this transaction: the writer that holds it
 * is the only one appending, and sees the watermark the last committed
 * append left (a step replayed elsewhere continues from there, not twice).
 */
export async function lockStoredFile(tx: Tx, runId: string, name: string): Promise<StoredFile | undefined> {
  const [locked] = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM tim.files WHERE run_id = ${runId}::uuid AND name = ${name} FOR UPDATE`;
  if (!locked) return undefined;
  return storedFileView(await tx.storedFile.findUniqueOrThrow({ where: { id: locked.id } }));
}

/**
 * Appends `data` to a file locked by this transaction and moves its
 * watermark, in the caller's transaction: content and position commit or
 * roll back together. Each append also pushes the file's expiry forward.
 */
export async function appendStoredFile(
  tx: Tx,
  file: StoredFile,
  data: Uint8Array,
  update: { watermark?: Prisma.InputJsonValue; expiresAt: Date },
): Promise<StoredFile> {
  const pieces: Array<{ fileId: string; seq: number; data: Uint8Array<ArrayBuffer> }> = [];
  for (let at = 0; at < data.length; at += CHUNK_BYTES) {
    pieces.push({ fileId: file.id, seq: file.chunks + pieces.length, data: Uint8Array.from(data.subarray(at, at + CHUNK_BYTES)) });
  }
  if (pieces.length > 0) await tx.fileChunk.createMany({ data: pieces });
  const row = await tx.storedFile.update({
    where: { id: file.id },
    data: {
      size: { increment: data.length },
      chunks: { increment: pieces.length },
      watermark: update.watermark,
      expiresAt: update.expiresAt,
    },
  });
  return storedFileView(row);
}
