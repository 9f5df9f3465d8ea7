import { cron } from "inngest";
import { inngest } from "@/inngest/client";
import { foldTokenChanges } from "@/lib/audit/fold-token-changes";

/**
 * Every minute: single revocations and extensions through the token API and
 * TARA logouts (hot paths that write no audit row) become audit events.
 * A retry starts again from the durable watermark.
 */
export const auditFold = inngest.createFunction(
  {
    id: "audit-fold",
    name: "Audit: fold token-API changes into the trail",
    triggers: [cron("* * * * *")],
    concurrency: { limit: 1 },
    retries: 3,
  },
  async ({ step }) => step.run("fold", () => foldTokenChanges()),
);
