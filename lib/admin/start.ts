import { registerMassRevocationHandler } from "@/lib/admin/revoke-query";
import { registerAuditTrail } from "@/lib/audit/port";

/**
 * Start-up hook (every process that serves the console or runs jobs): the
 * jobs write their audit entries through the hash-chained trail, and the
 * mass-revocation job knows how to revoke by query.
 */
export function registerConsole(): void {
  registerAuditTrail();
  registerMassRevocationHandler();
}
