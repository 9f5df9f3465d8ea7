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
export async function recordAudit(tx: Prisma.TransactionClient, events: AuditEvent | AuditEvent[]): Promise<RecordedAudit[]> {
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

  const rows = contents.map((c) => {
    const hash = chainHash(prevHash, c);
    const row = {
      id: c.id,
      at: c.at.toISOString(),
      actor_type: c.actorType,
      actor_id: c.actorId,
      action: c.action,
      target: c.target,
      reason: c.reason,
      counts: c.counts,
      request_id: c.requestId,
      source_address: c.sourceAddress,
      prev_hash: prevHash,
      hash,
    };
    prevHash = hash;
    return row;
  });
  // One INSERT of the rows as one JSON parameter (a folded backlog writes hundreds at a time; Prisma's
  // createMany spent up to ~85 ms of the event loop on such a batch). seq follows the array's order, which is chain order.
  await tx.$executeRaw`
    INSERT INTO tim.audit (id, at, actor_type, actor_id, action, target, reason, counts, request_id, source_address, prev_hash, hash)
    SELECT (r->>'id')::uuid, (r->>'at')::timestamptz, r->>'actor_type', r->>'actor_id', r->>'action', r->'target',
           r->>'reason', r->'counts', r->>'request_id', r->>'source_address', r->>'prev_hash', r->>'hash'
      FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS e(r, ord)
     ORDER BY e.ord`;
  return rows.map((r) => ({ id: r.id, hash: r.hash }));
}
