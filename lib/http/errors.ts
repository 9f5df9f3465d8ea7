import { statusOf, type ErrorCode } from "@/lib/http/error-codes";

/**
 * The one error type of TIM: a registered code (lib/http/error-codes.ts, which
 * gives its status), a message for the caller, and extra body fields. Anything
 * thrown that is not a TimError is an internal failure and is answered with a
 * generic 500 (or 503 for the database).
 */
export class TimError extends Error {
  readonly status: number;
  /** Per-field messages of invalid input (`maxLifetimeMinutes` → "must be at most 525600"), for forms to show
   * beside their fields; not part of the JSON body, whose message already names them. */
  fields?: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields merged into the JSON body (TIM 2.0 compatible fields). */
    readonly body: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = statusOf(code);
    this.name = "TimError";
  }
}

export const badRequest = (message: string, body?: Record<string, unknown>) => new TimError("invalid_request", message, body);

export const notFound = (message: string) => new TimError("not_found", message);

export const serviceUnavailable = (message = "The database is not reachable; try again shortly.") => new TimError("service_unavailable", message);

/** Errors from the database driver or Prisma that mean "cannot reach the database". */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  if (!e) return false;
  // P2024: no pool connection in time; P2028: an interactive transaction outlived its time limit (an overloaded
  // database or host) and was rolled back: nothing was written, and a retry can succeed.
  const codes = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "57P01", "57P03", "53300", "P1001", "P1017", "P2024", "P2028"];
  if (e.code && codes.includes(e.code)) return true;
  // SQLSTATE class 08: connection exceptions.
  if (sqlState(err)?.startsWith("08")) return true;
  if (e.name === "PrismaClientInitializationError") return true;
  return /connect|connection terminated|timeout exceeded when trying to connect|database system is (starting|shutting)/i.test(e.message ?? "");
}

/** The SQLSTATE of a database error, as pg, PGlite or Prisma's driver adapters report it. */
export function sqlState(err: unknown): string | undefined {
  const e = err as
    | { code?: unknown; cause?: { code?: unknown; originalCode?: unknown }; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } }
    | undefined;
  const candidates = [e?.code, e?.cause?.originalCode, e?.cause?.code, e?.meta?.driverAdapterError?.cause?.originalCode];
  return candidates.find((c): c is string => typeof c === "string" && /^[0-9A-Z]{5}$/.test(c) && /^\d/.test(c));
}

/** Prisma's codes for a value or row the database refused (too long, constraint, null, out of range, invalid). */
const PRISMA_REFUSALS = ["P2000", "P2002", "P2003", "P2004", "P2006", "P2007", "P2011", "P2020", "P2033"];
/** SQLSTATE classes of a refusal of the data itself: data exception, integrity constraint, program limit (sizes). */
const REFUSAL_CLASSES: Record<string, string> = {
  "22": "holds a value the database cannot store",
  "23": "conflicts with a database constraint",
  "54": "exceeds a size limit of the database",
};

/**
 * Whether the database refused the data of a statement (SQLSTATE classes 22,
 * 23, 54): the fault of a row, not of the database, so a group sharing the
 * statement is re-run to find the row (see lib/db/batcher.ts). Connection
 * and other transient failures are not refusals: they fail the whole group.
 */
export function isDataRefusal(err: unknown): boolean {
  if (isDatabaseUnavailable(err)) return false;
  const state = sqlState(err);
  if (state) return state.slice(0, 2) in REFUSAL_CLASSES;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && PRISMA_REFUSALS.includes(code);
}

/** A unique-constraint violation (23505), through either driver adapter, or pg / PGlite directly. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === "23505" || (err as { code?: unknown } | undefined)?.code === "P2002";
}

/** The 400 for a request whose own row the database refused (isDataRefusal), naming the field it came from. */
export function refusedInput(err: unknown, field: string): TimError {
  const why = REFUSAL_CLASSES[sqlState(err)?.slice(0, 2) ?? ""] ?? "was refused by the database";
  return badRequest(`${field}: ${why}.`);
}
