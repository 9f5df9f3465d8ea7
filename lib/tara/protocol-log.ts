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

/**
 * One login's messages, oldest first, for an administrator; the reading is
 * itself audited (`tara.protocol_log.read`, or `.export` for a download).
 */
export async function readProtocolLog(
  state: string,
  actor: AuditActor,
  requestId?: string | null,
  action: "tara.protocol_log.read" | "tara.protocol_log.export" = "tara.protocol_log.read",
): Promise<TaraProtocolLog[]> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    const rows = await tx.taraProtocolLog.findMany({ where: { state }, orderBy: [{ at: "asc" }, { id: "asc" }] });
    await recordAudit(tx, {
      actor,
      action,
      target: { state },
      counts: { messages: rows.length },
      requestId,
    });
    return rows;
  });
}

/** One protocol message as TIM exports it (per login, and in the audit-trail export). */
export function protocolMessageJson(r: TaraProtocolLog) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    state: r.state,
    message: r.message,
    url: r.url,
    http_status: r.httpStatus,
    id_token: r.idToken,
    verified: r.verified,
    error: r.error,
  };
}

/**
 * One login's protocol messages as a JSON file, the excerpt RIA's support
 * asks for (TARA spec §5.3): each message with its URL or ID token, status,
 * whether TIM verified it and TIM's error. 404 for a state with no messages.
 */
export async function protocolLogExportResponse(state: string, actor: AuditActor, requestId: string): Promise<Response> {
  if (state.length > 200) throw new TimError("not_found", "No TARA login has this state.");
  const rows = await readProtocolLog(state, actor, requestId, "tara.protocol_log.export");
  if (rows.length === 0) throw new TimError("not_found", "No TARA login has this state.");
  const body = {
    state,
    exported_at: new Date().toISOString(),
    messages: rows.map(protocolMessageJson),
  };
  const name = state.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80);
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="tara-login-${name}.json"`,
      "cache-control": "no-store",
    },
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
