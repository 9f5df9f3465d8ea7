import type { Prisma } from "@/lib/generated/prisma/client";
import { GENESIS_HASH, chainHash, toContent, type AuditEvent } from "@/lib/audit/event";

/** Serialises audit inserts across connections and instances, so the hash chain stays linear. */
const AUDIT_CHAIN_LOCK = 72_541_331_940;

export type RecordedAudit = { id: string; hash: string };

/**
 * Appends events to the audit trail INSIDE the caller's transaction, so the
 * entry commits or rolls back with the change it describes. Takes a
 * transaction-scoped advisory lock that is held until the caller commits:
 * call it as the last statement of the transaction.
 */
export async function recordAudit(
  tx: Prisma.TransactionClient,
  events: AuditEvent | AuditEvent[],
): Promise<RecordedAudit[]> {
  // A transaction client has no $connect; a plain client would release the lock after each statement.
  if (typeof (tx as { $connect?: unknown }).$connect === "function") {
    throw new Error("recordAudit must be called with a transaction client, inside $transaction");
  }
  const list = Array.isArray(events) ? events : [events];
  if (list.length === 0) return [];
  const contents = list.map(toContent);

  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK}::bigint)`;
  const last = await tx.audit.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
  let prevHash = last?.hash ?? GENESIS_HASH;

  const rows: Prisma.AuditCreateManyInput[] = contents.map((c) => {
    const hash = chainHash(prevHash, c);
    const row = {
      id: c.id,
      at: c.at,
      actorType: c.actorType,
      actorId: c.actorId,
      action: c.action,
      target: c.target as Prisma.InputJsonValue,
      reason: c.reason,
      counts: c.counts as Prisma.InputJsonValue,
      requestId: c.requestId,
      prevHash,
      hash,
    };
    prevHash = hash;
    return row;
  });
  // One multi-row INSERT: PostgreSQL assigns seq in VALUES order, which is chain order.
  await tx.audit.createMany({ data: rows });
  return rows.map((r) => ({ id: r.id!, hash: r.hash }));
}
