import { archivePurge } from "@/inngest/functions/archive-purge";
import { auditFold } from "@/inngest/functions/audit-fold";
import { largeExport, massRevocation } from "@/inngest/functions/bulk-jobs";
import { persistMetadata } from "@/inngest/functions/persist-metadata";
import { readAudit } from "@/inngest/functions/read-audit";
import { retention } from "@/inngest/functions/retention";
import { statsRollup } from "@/inngest/functions/stats-rollup";
import { tokenUsage } from "@/inngest/functions/token-usage";

/** Every background function; served at /api/inngest and run by the in-process runner. */
export const functions = [tokenUsage, readAudit, persistMetadata, retention, archivePurge, largeExport, massRevocation, auditFold, statsRollup];
