import { registerMassRevocationHandler } from "@/lib/admin/revoke-query";
import { registerAuditTrail } from "@/lib/audit/port";
import { registerExportJobHandler } from "@/lib/reporting/export-job";

/**
 * Start-up hook (every process that serves the console or runs jobs): the
 * jobs write their audit entries through the hash-chained trail, and the
 * mass-revocation and large-export jobs know how to revoke and export by query.
 */
export function registerConsole(): void {
  registerAuditTrail();
  registerMassRevocationHandler();
  registerExportJobHandler();
}
