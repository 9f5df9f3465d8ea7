import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { TimError, badRequest } from "@/lib/http/errors";
import { invalidInput } from "@/lib/http/zod-messages";
import { requestBulkJob } from "@/lib/jobs/request-bulk-job";
import { revocationReasonSchema, revokeMatching, scoped, type MassRevocationParams } from "@/lib/admin/revoke-query";
import { countTokens } from "@/lib/reporting/count";
import { filtersToParams, kindsFor, type TokenFilters } from "@/lib/reporting/filters";

/**
 * Revokes every active token matching the filters, once the administrator
 * confirmed the count: inline up to TIM_BULK_REVOKE_INLINE_MAX, else as the
 * mass-revocation job (lib/admin/revoke-query.ts), audited either way.
 */
export type RevocationByQueryResult = { mode: "done"; revoked: number; auditId: string } | { mode: "job"; runId: string; matched: number };

export async function revokeByQuery(input: {
  filters: TokenFilters;
  reason: string;
  /** The count the administrator typed to confirm; must equal the current match count. */
  confirmCount: number;
  actor: AuditActor;
  revokedBy: string;
  requestId?: string | null;
}): Promise<RevocationByQueryResult> {
  const reason = revocationReasonSchema.safeParse(input.reason);
  if (!reason.success) throw invalidInput(reason.error);
  const at = new Date();
  const query = scoped(input.filters, at);
  const params = filtersToParams(input.filters);
  const changed = (matched: number) =>
    new TimError("count_changed", `${matched} active tokens match, not ${input.confirmCount}: type the number the preview shows (it may have changed since).`, {
      matched,
    });

  const matched = await countTokens(query, at);
  if (matched === 0) throw badRequest("No active token matches these filters; nothing was revoked.");
  if (matched !== input.confirmCount) throw changed(matched);

  if (matched > config().TIM_BULK_REVOKE_INLINE_MAX) {
    const jobParams: MassRevocationParams = {
      query: filtersToParams(query),
      shown_query: params,
      reason: reason.data,
      revoked_by: input.revokedBy,
      actor: input.actor,
      request_id: input.requestId ?? null,
      at: at.toISOString(),
    };
    const runId = await requestBulkJob("mass_revocation", { requestedBy: input.revokedBy, params: jobParams });
    await (await db()).$transaction((tx) =>
      recordAudit(tx, {
        actor: input.actor,
        action: "tokens.revoke_by_query.queued",
        target: { query: params, run_id: runId },
        reason: reason.data,
        counts: { matched },
        requestId: input.requestId,
      }),
    );
    return { mode: "job", runId, matched };
  }

  const { revoked, auditId } = await (await db()).$transaction(
    async (tx) => {
      let total = 0;
      for (const kind of kindsFor(query)) total += (await revokeMatching(tx, kind, query, { reason: reason.data, revokedBy: input.revokedBy }, at)).revoked;
      // Another revocation in between changes the number: nothing is revoked then.
      if (total !== input.confirmCount) throw changed(total);
      const [audit] = await recordAudit(tx, {
        actor: input.actor,
        action: "tokens.revoke_by_query",
        target: { query: params },
        reason: reason.data,
        counts: { matched, revoked: total },
        requestId: input.requestId,
      });
      return { revoked: total, auditId: audit.id };
    },
    { timeout: 120_000 },
  );
  return { mode: "done", revoked, auditId };
}
