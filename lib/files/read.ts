import { createHash } from "node:crypto";
import { db } from "@/lib/db/client";
import { storedFileView, type StoredFile } from "@/lib/files/stored-file";

export async function findStoredFile(runId: string, name: string): Promise<StoredFile | undefined> {
  const row = await (await db()).storedFile.findUnique({ where: { runId_name: { runId, name } } });
  return row ? storedFileView(row) : undefined;
}

export async function findStoredFileById(id: string): Promise<StoredFile | undefined> {
  const row = await (await db()).storedFile.findUnique({ where: { id } });
  return row ? storedFileView(row) : undefined;
}

/** The file's chunks in order, one query per chunk: never more than one in memory. */
export async function* storedFileChunks(file: Pick<StoredFile, "id" | "chunks">): AsyncGenerator<Uint8Array> {
  const client = await db();
  for (let seq = 0; seq < file.chunks; seq++) {
    const chunk = await client.fileChunk.findUnique({ where: { fileId_seq: { fileId: file.id, seq } }, select: { data: true } });
    // deleted (expired) while being read: the reader gets an error, never a silently short file
    if (!chunk) throw new Error(`Stored file ${file.id} lost its chunk ${seq} while being read.`);
    yield chunk.data;
  }
}

export async function storedFileSha256(file: Pick<StoredFile, "id" | "chunks">): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of storedFileChunks(file)) hash.update(chunk);
  return hash.digest("hex");
}

/** A download of a stored file, pulled from the database only as fast as the client reads. */
export function storedFileResponse(file: StoredFile, headers: Record<string, string> = {}): Response {
  const chunks = storedFileChunks(file);
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    headers: {
      "content-type": file.contentType,
      "content-disposition": `attachment; filename="${file.name}"`,
      "content-length": String(file.size),
      "cache-control": "no-store",
      ...(file.sha256 ? { "x-tim-sha256": file.sha256 } : {}),
      ...headers,
    },
  });
}
