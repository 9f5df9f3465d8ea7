/**
 * The one error type of TIM. Anything thrown that is not a TimError is an
 * internal failure and is answered with a generic 500 (or 503 for the database).
 */
export class TimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra fields merged into the JSON body (TIM 2.0 compatible fields). */
    readonly body: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "TimError";
  }
}

export const badRequest = (message: string, body?: Record<string, unknown>) =>
  new TimError(400, "invalid_request", message, body);

export const notFound = (message: string) => new TimError(404, "not_found", message);

export const serviceUnavailable = (message = "The database is not reachable; try again shortly.") =>
  new TimError(503, "service_unavailable", message);

/** Errors from the database driver or Prisma that mean "cannot reach the database". */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  if (!e) return false;
  const codes = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "57P01", "57P03", "53300", "P1001", "P1017", "P2024"];
  if (e.code && codes.includes(e.code)) return true;
  if (e.name === "PrismaClientInitializationError") return true;
  return /connect|connection terminated|timeout exceeded when trying to connect|database system is (starting|shutting)/i.test(
    e.message ?? "",
  );
}
