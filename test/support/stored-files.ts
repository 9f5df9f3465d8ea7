import { findStoredFile, storedFileChunks } from "@/lib/files/read";

/** The whole content of a run's stored file (tests only: real files are streamed, never buffered). */
export async function storedFileContent(runId: string, name: string): Promise<Buffer> {
  const file = await findStoredFile(runId, name);
  if (!file) throw new Error(`No stored file ${name} of run ${runId}.`);
  const parts: Uint8Array[] = [];
  for await (const chunk of storedFileChunks(file)) parts.push(chunk);
  return Buffer.concat(parts);
}
