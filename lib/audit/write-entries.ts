import type { Prisma } from "@/lib/generated/prisma/client";
import { recordAudit } from "@/lib/audit/record";

/**
 * An audit entry in the shape jobs and settings write it: the actor as an id
 * and a kind, the rest as recordAudit takes it.
 */
export type AuditEntry = {
  actor: string;
  actorKind: "api_client" | "administrator" | "system_job" | "end_user" | "anonymous";
  action: string;
  target?: Record<string, unknown>;
  reason?: string;
  counts?: Record<string, number>;
  requestId?: string | null;
  at?: Date;
};

/** Appends the entries to the hash-chained trail inside the caller's transaction. */
export async function writeAuditEntries(tx: Prisma.TransactionClient, entries: AuditEntry[]): Promise<void> {
  await recordAudit(
    tx,
    entries.map((e) => ({
      actor: { type: e.actorKind, id: e.actor },
      action: e.action,
      target: (e.target ?? {}) as Record<string, never>,
      reason: e.reason,
      counts: e.counts ?? {},
      requestId: e.requestId,
      at: e.at,
    })),
  );
}
