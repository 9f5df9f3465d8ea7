import { Prisma } from "@/lib/generated/prisma/client";
import type { TaraProtocolLog } from "@/lib/generated/prisma/client";
import { recordAudit } from "@/lib/audit/record";
import type { AuditActor } from "@/lib/audit/actors";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { deleteBatchCounted } from "@/lib/retention/archive-expired";

/**
 * TARA's protocol log (TARA technical specification §5.3 "Logging"): the
 * authentication request, the redirect request and the token response of
 * every login, in full (URL, ID token), so that a login can be reconstructed
 * and excerpts given to RIA's support. It holds personal data, so it lives in
 * the database with its own retention (TIM_RETENTION_TARA_PROTOCOL_DAYS), not
 * in the application log. The client secret never reaches it: TIM sends the
 * secret only in the token request, which is not logged; the token response
 * is logged as TARA's ID token (or TARA's error).
 */
export type ProtocolMessage = "authentication_request" | "redirect_request" | "token_response";

export type ProtocolEntry = {
  state: string;
  message: ProtocolMessage;
  url?: string;
  httpStatus?: number;
  idToken?: string;
  /** token_response: whether TIM accepted the ID token. */
  verified?: boolean;
  /** TIM's error code for a refused message (and TARA's, when it sent one). */
  error?: string;
};

export async function logProtocol(entry: ProtocolEntry): Promise<void> {
  await (await db()).taraProtocolLog.create({
    data: {
      state: entry.state,
      message: entry.message,
      url: entry.url ?? null,
      httpStatus: entry.httpStatus ?? null,
      idToken: entry.idToken ?? null,
      verified: entry.verified ?? null,
      error: entry.error?.slice(0, 200) ?? null,
    },
  });
}

/** TIM's error code for the log: the TimError's code and TARA's own, if any. */
export function protocolError(err: unknown): string {
  if (!(err instanceof TimError)) return "internal_error";
  const tara = (err.body as { tara_error?: unknown }).tara_error;
  return typeof tara === "string" && tara !== err.code ? `${err.code} (${tara})` : err.code;
}

/** One login's messages, oldest first, for an administrator; the reading is itself audited. */
export async function readProtocolLog(state: string, actor: AuditActor, requestId?: string | null): Promise<TaraProtocolLog[]> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    const rows = await tx.taraProtocolLog.findMany({ where: { state }, orderBy: [{ at: "asc" }, { id: "asc" }] });
    await recordAudit(tx, {
      actor,
      action: "tara.protocol_log.read",
      target: { state },
      counts: { messages: rows.length },
      requestId,
    });
    return rows;
  });
}

export const PROTOCOL_LOG_BATCH_SIZE = 1_000;

/** Deletes up to `limit` protocol-log entries older than `cutoff`, counted in the retention run. */
export async function purgeProtocolLogBatch(runId: string, cutoff: Date, limit = PROTOCOL_LOG_BATCH_SIZE): Promise<number> {
  return deleteBatchCounted(
    runId,
    "tara.protocol_log",
    Prisma.sql`DELETE FROM tara.protocol_log WHERE id IN (
      SELECT id FROM tara.protocol_log WHERE at < ${cutoff} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  );
}
