import type { Prisma } from "@/lib/generated/prisma/client";

/**
 * The audit trail belongs to the console (issue 4). Jobs write to it through
 * this port so their entries land in the same transaction as the change; the
 * console registers its writer at start-up.
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

export type AuditWriter = (tx: Prisma.TransactionClient, entries: AuditEntry[]) => Promise<void>;

const SLOT = Symbol.for("tim.jobs.audit-writer");
type Slot = { writer?: AuditWriter };
const slot: Slot = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {}) as Slot;

export function registerAuditWriter(writer: AuditWriter | undefined): void {
  slot.writer = writer;
}

export function auditWriter(): AuditWriter | undefined {
  return slot.writer;
}
