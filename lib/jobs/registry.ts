import { massRevocationJob } from "@/lib/admin/revoke-query";
import { archivePurgeJob } from "@/lib/archive/purge-job";
import { auditFoldJob } from "@/lib/audit/fold-token-changes";
import { readAuditJob } from "@/lib/audit/read-audit-job";
import type { AnyJob } from "@/lib/jobs/define";
import { persistMetadataJob } from "@/lib/jobs/metadata";
import { tokenUsageJob } from "@/lib/jobs/token-usage";
import { largeExportJob } from "@/lib/reporting/export-job";
import { statsRollupJob } from "@/lib/reporting/stats-rollup";
import { retentionJob } from "@/lib/retention/run";
import { ssfPushJob } from "@/lib/ssf/push";

/**
 * Every background job TIM has, each declared beside its domain code. Both
 * providers run this list (the local runner, lib/jobs/runner; Inngest,
 * lib/jobs/inngest.ts), and sending an event asks it which jobs it triggers.
 */
export const jobs: readonly AnyJob[] = [
  tokenUsageJob,
  readAuditJob,
  persistMetadataJob,
  retentionJob,
  archivePurgeJob,
  largeExportJob,
  massRevocationJob,
  auditFoldJob,
  statsRollupJob,
  ssfPushJob,
];

const byEvent = new Map<string, string[]>();
for (const job of jobs) {
  const name = job.trigger.event?.name;
  if (name) byEvent.set(name, [...(byEvent.get(name) ?? []), job.id]);
}

/** Ids of the jobs an event of this name triggers. */
export function jobsTriggeredBy(eventName: string): readonly string[] {
  return byEvent.get(eventName) ?? [];
}
