import type { Prisma } from "@/lib/generated/prisma/client";

/**
 * Files TIM writes for later download (background exports, archive-purge
 * exports) live in PostgreSQL (tim.files + tim.file_chunks), so every
 * instance serves and continues them; no instance's disk holds a part.
 * Content is cut into chunks of at most CHUNK_BYTES, the unit a download
 * streams: memory per download stays at one chunk whatever the file's size.
 */
export const CHUNK_BYTES = 256 * 1024;

export type StoredFile = {
  id: string;
  runId: string | null;
  name: string;
  contentType: string;
  size: number;
  chunks: number;
  watermark: unknown;
  sha256: string | null;
  completedAt: Date | null;
  expiresAt: Date;
};

type Row = Prisma.StoredFileGetPayload<object>;

export function storedFileView(row: Row): StoredFile {
  return {
    id: row.id,
    runId: row.runId,
    name: row.name,
    contentType: row.contentType,
    size: Number(row.size),
    chunks: row.chunks,
    watermark: row.watermark,
    sha256: row.sha256,
    completedAt: row.completedAt,
    expiresAt: row.expiresAt,
  };
}
