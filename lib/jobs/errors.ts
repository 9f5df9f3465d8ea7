import { TimError } from "@/lib/http/errors";

/**
 * What a job may record about a failure (job_runs.error, job_executions.last_error):
 * a TimError's message (also once a step has serialized it), otherwise only the
 * error's class and code, since driver messages can carry SQL or data.
 */
export function describeJobError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string } | undefined;
  if (err instanceof TimError || (e?.name === "TimError" && typeof e.message === "string")) return String(e!.message);
  const name = e?.name ?? typeof err;
  return e?.code ? `${name} (${e.code})` : name;
}
