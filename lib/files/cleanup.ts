import { db } from "@/lib/db/client";

/**
 * Deletes stored files past their expiry and the partial files of runs that
 * failed (never downloadable); their chunks go with them (ON DELETE
 * CASCADE). Returns how many files. Part of the retention job.
 */
export async function deleteExpiredFiles(now = new Date()): Promise<number> {
  return (await db()).$executeRaw`
    DELETE FROM tim.files f
     WHERE f.expires_at <= ${now}
        OR (f.completed_at IS NULL AND EXISTS (
              SELECT 1 FROM tim.job_runs r WHERE r.id = f.run_id AND r.status = 'failed'))`;
}
