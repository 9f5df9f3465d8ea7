import type { TokenRead } from "@/inngest/events";
import type { TokenKind } from "@/lib/tokens/kinds";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { auditWriter, type AuditEntry } from "@/lib/jobs/audit-port";
import { emit } from "@/lib/jobs/send";
import { log } from "@/lib/log/logger";

export type TokenReadInput = {
  endpoint: string;
  actor: string | null;
  actorKind: TokenRead["actor_kind"];
  tokenType: TokenKind | null;
  jwtUuid: string | null;
  result: string;
  requestId?: string | null;
  at?: Date;
};

/**
 * Called by validation and introspection with the outcome of each read;
 * returns at once. Does nothing unless TIM_AUDIT_READS=true.
 */
export function recordTokenRead(read: TokenReadInput): void {
  if (!config().TIM_AUDIT_READS) return;
  emit({
    name: "tim/token.read",
    data: {
      at: (read.at ?? new Date()).toISOString(),
      endpoint: read.endpoint,
      actor: read.actor,
      actor_kind: read.actorKind,
      token_type: read.tokenType,
      jwt_uuid: read.jwtUuid,
      result: read.result,
      request_id: read.requestId ?? null,
    },
  });
}

function toAuditEntry(read: TokenRead): AuditEntry {
  return {
    actor: read.actor ?? "anonymous",
    actorKind: read.actor_kind,
    action: `token.${read.endpoint}`,
    target: { jwt_uuid: read.jwt_uuid, token_type: read.token_type, result: read.result },
    requestId: read.request_id,
    at: new Date(read.at),
  };
}

/**
 * Writes a batch of read outcomes to the audit trail in one transaction,
 * claiming `effectKey` in it so a retried batch is written once.
 */
export async function writeReadAudit(reads: TokenRead[], effectKey: string): Promise<{ written: number }> {
  const writer = auditWriter();
  if (!writer) {
    log.warn("read-audit events dropped: no audit writer is registered", { count: reads.length });
    return { written: 0 };
  }
  return (await db()).$transaction(async (tx) => {
    const claimed = await tx.$executeRaw`
      INSERT INTO tim.job_effects (key) VALUES (${effectKey}) ON CONFLICT (key) DO NOTHING`;
    if (claimed === 0) return { written: 0 };
    await writer(tx, reads.map(toAuditEntry));
    return { written: reads.length };
  });
}
