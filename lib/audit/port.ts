import { recordAudit } from "@/lib/audit/record";
import { registerAuditWriter, type AuditEntry, type AuditWriter } from "@/lib/jobs/audit-port";

/** The jobs' audit port (lib/jobs/audit-port.ts) served by the hash-chained trail. */
export const auditTrailWriter: AuditWriter = async (tx, entries: AuditEntry[]) => {
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
};

/** Start-up hook: background jobs write their audit entries through the trail. */
export function registerAuditTrail(): void {
  registerAuditWriter(auditTrailWriter);
}
